import { searchTermsOf } from '../../src/services/assist/customer-search.queries';

describe('customer search: reading the query', () => {
  it('A1: a name is lower-cased, trimmed and its spaces collapsed; LIKE wildcards are taken literally', () => {
    expect(searchTermsOf('  Ann   O_Brien%  ')).toMatchObject({
      text: 'ann o_brien%',
      like: 'ann o\\_brien\\%',
      digits: null,
      e164: null,
      fuzzy: true,
    });
  });

  it('A1: part of a number gives its digits; a whole one, in any format, its E.164 form', () => {
    expect(searchTermsOf('555 01')).toMatchObject({ digits: '55501', e164: null });
    expect(searchTermsOf('(415) 555-0100', 'US')).toMatchObject({
      digits: '4155550100',
      e164: '+14155550100',
    });
    expect(searchTermsOf('0044 20 7946 0018')).toMatchObject({ e164: '+442079460018' });
    // Too few digits to mean anything, or not a number at all.
    expect(searchTermsOf('55').digits).toBeNull();
    expect(searchTermsOf('flat 12').digits).toBeNull();
  });

  it('A1: the words of an address become full-text terms: all as prefixes, or whole but the last', () => {
    expect(searchTermsOf('12 Main St.')).toMatchObject({
      anyWords: '12:* & main:* & st:*',
      wholeWords: '12 & main & st:*',
    });
    // Nothing of tsquery's syntax gets through.
    expect(searchTermsOf("o'neil & (x | !y)").anyWords).toBe('o:* & neil:* & x:* & y:*');
    expect(searchTermsOf('--').anyWords).toBeNull();
  });

  it('A1: similarity is tried on words of three characters or more, not on emails or numbers', () => {
    expect(searchTermsOf('jo').fuzzy).toBe(false);
    expect(searchTermsOf('jon').fuzzy).toBe(true);
    expect(searchTermsOf('jon@smyth.example')).toMatchObject({ fuzzy: false, anyWords: null });
    expect(searchTermsOf('+1 415 555').fuzzy).toBe(false);
  });
});
