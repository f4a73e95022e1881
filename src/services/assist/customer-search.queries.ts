import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * Customer search (A1): the query read once into the terms each kind of match needs, and the one
 * ranked statement. Kept apart from the service so the benchmark runs the very same statement.
 *
 * Ranking: tier first, then score, then name, then id.
 * - tier 0, exact: the whole query is the name, username, email or postal address, or the
 *   number (any contact of the customer);
 * - tier 1, prefix: the query starts the name or one of its words, the username or an email;
 *   its digits appear in a phone number ("555 01" finds +1 555 0100); every word of it is a
 *   whole word of the postal address (the last one may be cut short: "12 Main St");
 * - tier 2, similar: trigram similarity of the name (typos, near-duplicates:
 *   "Jon Smyth" finds John Smith), or every word of it starts a word of the postal address;
 * - score: how close the best matching field is, 0 to 1 (pg_trgm similarity; for a number, the
 *   share of its digits typed).
 */

/** Shorter queries match too much to rank; trigram similarity needs three characters. */
export const MIN_QUERY_LENGTH = 2;
const MIN_FUZZY_LENGTH = 3;
/** Fewer digits than this match nearly every number. */
const MIN_PHONE_DIGITS = 3;
const PHONE_LIKE = /^[+\d\s().-]+$/;

export interface SearchTerms {
  /** Lower-case, trimmed, inner spaces collapsed. */
  text: string;
  /** `text` with LIKE's wildcards escaped. */
  like: string;
  /** The digits, when the query reads as (part of) a phone number. */
  digits: string | null;
  /** The query as a whole phone number in E.164, when it is one. */
  e164: string | null;
  /** Every word as a prefix (tsquery): `12:* & main:* & st:*`. */
  anyWords: string | null;
  /** Every word whole but the last, a prefix: `12 & main & st:*`. */
  wholeWords: string | null;
  /** Typo-tolerant matching (trigram similarity) is worth running: words of 3 letters or more. */
  fuzzy: boolean;
}

export function searchTermsOf(query: string, defaultCountry?: string): SearchTerms {
  const text = query.trim().replace(/\s+/g, ' ').toLowerCase();
  const phoneLike = PHONE_LIKE.test(text);
  const digits = phoneLike ? text.replace(/\D/g, '') : '';
  // An email address, or a number, is neither a misspelt name nor a postal address: those matches
  // would only cost (trigram similarity rechecks many rows).
  const emailLike = text.includes('@');
  const words = emailLike ? [] : (text.match(/[\p{L}\p{N}]+/gu) ?? []);
  const last = words.length - 1;
  return {
    text,
    like: text.replace(/[\\%_]/g, (c) => `\\${c}`),
    digits: digits.length >= MIN_PHONE_DIGITS ? digits : null,
    e164: phoneLike ? wholeNumber(text, defaultCountry) : null,
    anyWords: words.length ? words.map((w) => `${w}:*`).join(' & ') : null,
    wholeWords: words.length ? words.map((w, i) => (i === last ? `${w}:*` : w)).join(' & ') : null,
    fuzzy: text.length >= MIN_FUZZY_LENGTH && !emailLike && !phoneLike,
  };
}

function wholeNumber(text: string, defaultCountry?: string): string | null {
  const parsed = parsePhoneNumberFromString(
    text.replace(/^00(?=[1-9])/, '+'),
    defaultCountry as CountryCode | undefined,
  );
  return parsed?.isValid() ? parsed.number : null;
}

/** A position in the ranking: where the next page starts. */
export interface SearchPosition {
  tier: number;
  score: number;
  name: string;
  id: string;
}

/** A statement and its parameters. */
export interface SearchStatement {
  text: string;
  values: unknown[];
}

/**
 * The ranked statement. Its text depends only on which kinds of match the query allows and
 * whether a page follows another (a fixed handful of prepared statements). Answers one row with `search_total` and no customer
 * when the page is empty; otherwise the page's customers with `search_tier`, `search_score`
 * and `search_total`.
 */
export function searchStatement(
  organizationId: string,
  terms: SearchTerms,
  after: SearchPosition | null,
  limit: number,
): SearchStatement {
  const values: unknown[] = [];
  const $ = (value: unknown): string => `$${values.push(value)}`;
  const org = $(organizationId);
  const text = $(terms.text);
  const like = $(terms.like);
  const prefixOfName = `(lower(c.name) LIKE ${like} || '%' OR lower(c.name) LIKE '% ' || ${like} || '%')`;
  const arms = [
    // Names: exact, then the name or one of its words starting with the query, then similar.
    `SELECT c.id, c.name,
            CASE WHEN lower(c.name) = ${text} THEN 0 WHEN ${prefixOfName} THEN 1 ELSE 2 END AS tier,
            similarity(lower(c.name), ${text}) AS score
       FROM customer c
      WHERE c.organization_id = ${org}
        AND (${prefixOfName}${terms.fuzzy ? ` OR lower(c.name) % ${text}` : ''})`,
    // Usernames: typed exactly, or their start (typos are tolerated in names only).
    `SELECT c.id, c.name, CASE WHEN lower(c.username) = ${text} THEN 0 ELSE 1 END,
            similarity(lower(c.username), ${text})
       FROM customer c
      WHERE c.organization_id = ${org} AND lower(c.username) LIKE ${like} || '%'`,
    // Email addresses: every one of the customer's (their own is one of their contacts).
    `SELECT c.id, c.name, CASE WHEN ct.value = ${text} THEN 0 ELSE 1 END, similarity(ct.value, ${text})
       FROM contact ct JOIN customer c ON c.id = ct.customer_id
      WHERE ct.organization_id = ${org} AND ct.kind = 'EMAIL' AND ct.value LIKE ${like} || '%'`,
  ];
  if (terms.digits) {
    // Phone numbers (E.164): the whole number, or the digits typed anywhere in it.
    const digits = $(terms.digits);
    const whole = $(terms.e164 ?? '');
    arms.push(
      `SELECT c.id, c.name, CASE WHEN ct.value = ${whole} THEN 0 ELSE 1 END,
              CASE WHEN ct.value = ${whole} THEN 1
                   ELSE length(${digits})::real / greatest(length(ct.value) - 1, 1) END
         FROM contact ct JOIN customer c ON c.id = ct.customer_id
        WHERE ct.organization_id = ${org} AND ct.kind = 'PHONE'
          AND (ct.value = ${whole} OR ct.value LIKE '%' || ${digits} || '%')`,
    );
  }
  if (terms.anyWords && terms.wholeWords) {
    // Postal addresses: words, as full-text search reads them (no stemming: 'simple').
    const words = `to_tsvector('simple', coalesce(c.postal_address, ''))`;
    arms.push(
      `SELECT c.id, c.name,
              CASE WHEN lower(c.postal_address) = ${text} THEN 0
                   WHEN ${words} @@ to_tsquery('simple', ${$(terms.wholeWords)}) THEN 1
                   ELSE 2 END,
              word_similarity(${text}, lower(c.postal_address))
         FROM customer c
        WHERE c.organization_id = ${org} AND ${words} @@ to_tsquery('simple', ${$(terms.anyWords)})`,
    );
  }
  const position = after
    ? `WHERE (b.tier, -b.score, b.name, b.id) > (${$(after.tier)}::int, ${$(-after.score)}::int, ${$(after.name)}::text, ${$(after.id)}::uuid)`
    : '';
  return {
    text: `WITH hit AS (${arms.join('\n     UNION ALL\n')}),
  best AS (
    SELECT DISTINCT ON (id) id, name, tier, (score * 1000000)::int AS score
      FROM hit ORDER BY id, tier, score DESC)
  SELECT t.total AS search_total, p.tier AS search_tier, p.score AS search_score, c.*
    FROM (SELECT count(*) AS total FROM best) t
    LEFT JOIN LATERAL (
      SELECT * FROM best b ${position}
       ORDER BY b.tier, b.score DESC, b.name, b.id
       LIMIT ${$(limit)}) p ON true
    LEFT JOIN customer c ON c.id = p.id
   ORDER BY p.tier, p.score DESC, p.name, p.id`,
    values,
  };
}
