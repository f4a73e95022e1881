import { ContactKind } from '../../src/entities/enums';
import { normalizeContactValue } from '../../src/services/customer/contact-value';

describe('contact values', () => {
  it.each([
    ['+1 (415) 555-0100', '+14155550100'],
    ['+44 20 7946 0958', '+442079460958'],
    ['0033 6 12 34 56 78', '+33612345678'],
  ])('normalizes the phone number %s to E.164 %s', (raw, normalized) => {
    expect(normalizeContactValue(ContactKind.PHONE, raw, 'phone')).toBe(normalized);
  });

  it("reads a national number in the organization's country", () => {
    expect(normalizeContactValue(ContactKind.PHONE, '06 12 34 56 78', 'phone', 'FR')).toBe(
      '+33612345678',
    );
  });

  it('refuses what is not a phone number, naming the field', () => {
    expect(() => normalizeContactValue(ContactKind.PHONE, '12', 'phone')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'phone' } }),
    );
    expect(() => normalizeContactValue(ContactKind.PHONE, '06 12 34 56 78', 'value')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT' }),
    );
  });

  it('lower-cases emails and refuses malformed ones', () => {
    expect(normalizeContactValue(ContactKind.EMAIL, ' Ann@Example.COM ', 'email')).toBe(
      'ann@example.com',
    );
    expect(() => normalizeContactValue(ContactKind.EMAIL, 'ann@', 'email')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT' }),
    );
  });
});
