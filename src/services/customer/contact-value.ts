import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import { ContactKind } from '../../entities/enums';
import { BadInputError } from '../../errors/domain-error';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** E.164, e.g. "+14155550100". Numbers without a "+" are read in the organization's country. */
export function normalizePhone(raw: string, field: string, defaultCountry?: string): string {
  const parsed = parsePhoneNumberFromString(
    // "00" is the international call prefix in most of the world: 0033... is +33...
    raw.trim().replace(/^00(?=[1-9])/, '+'),
    defaultCountry as CountryCode | undefined,
  );
  if (!parsed?.isPossible()) {
    throw new BadInputError(
      field,
      `"${raw}" is not a phone number: use the international format, e.g. +14155550100`,
    );
  }
  return parsed.number;
}

export function normalizeEmail(raw: string, field: string): string {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254)
    throw new BadInputError(field, `"${raw}" is not an email address`);
  return email;
}

/** The stored form of a contact value, so that one number or address matches one contact. */
export function normalizeContactValue(
  kind: ContactKind,
  raw: string,
  field: string,
  defaultCountry?: string,
): string {
  switch (kind) {
    case ContactKind.PHONE:
      return normalizePhone(raw, field, defaultCountry);
    case ContactKind.EMAIL:
      return normalizeEmail(raw, field);
    case ContactKind.MESSAGING_ID: {
      const id = raw.trim();
      if (!id) throw new BadInputError(field, 'A messaging id cannot be empty');
      return id;
    }
  }
}
