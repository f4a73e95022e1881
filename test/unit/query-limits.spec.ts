import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { loadConfig } from '../../src/config';
import { getSchema } from '../../src/schema/build-schema';
import { DocumentCache } from '../../src/schema/document-cache';
import { asTokenLimitError, documentLimitRules, queryLimitsOf } from '../../src/schema/limits';
import { OperationCosts } from '../../src/schema/operation-cost';
import { findIllFormedText } from '../../src/schema/well-formed-text';

const limits = queryLimitsOf(loadConfig({}));

describe('query limits: what is remembered stays bounded (finding 2)', () => {
  it('remembers one cost per document however many different variables are sent', async () => {
    const costs = new OperationCosts(await getSchema(), limits.maxCost);
    const document = parse('{ __typename }');
    for (let i = 0; i < 500; i++) {
      costs.requireWithinCost(document, undefined, { [`unused${i}`]: randomUUID() });
    }
    expect(costs.rememberedCosts(document)).toBe(1);
  });

  it('keys costs by page sizes only, and keeps at most 32 per document', async () => {
    const costs = new OperationCosts(await getSchema(), limits.maxCost);
    const document = parse(
      'query ($n: Int!, $q: String) { customers(first: $n, filter: { query: $q }) { totalCount } }',
    );
    for (let n = 1; n <= 100; n++) {
      costs.requireWithinCost(document, undefined, { n, q: randomUUID() });
      expect(costs.rememberedCosts(document)).toBeLessThanOrEqual(32);
    }
    costs.requireWithinCost(document, undefined, { n: 7, q: 'a' });
    const remembered = costs.rememberedCosts(document);
    costs.requireWithinCost(document, undefined, { n: 7, q: 'b' });
    expect(costs.rememberedCosts(document)).toBe(remembered);
  });

  it('bounds the WebSocket document cache by entries and by characters', async () => {
    const schema = await getSchema();
    const rules = documentLimitRules(limits);
    const byEntries = new DocumentCache(schema, limits, rules, { entries: 10, characters: 1e9 });
    for (let i = 0; i < 50; i++) byEntries.check(`query Q${i} { __typename }`);
    expect(byEntries.size.entries).toBe(10);
    const byText = new DocumentCache(schema, limits, rules, { entries: 1e6, characters: 10_000 });
    const padding = ' '.repeat(3000);
    for (let i = 0; i < 50; i++) byText.check(`query Q${i} { __typename }${padding}`);
    expect(byText.size.characters).toBeLessThanOrEqual(10_000);
    expect(byText.size.entries).toBe(3);
  });
});

describe("graphql-js's token limit (pinned: an upgrade that rewords it fails here)", () => {
  it('is recognized as the tokens limit', () => {
    let thrown: unknown;
    try {
      parse(`{ ${'a '.repeat(20)} }`, { maxTokens: 10 });
    } catch (error) {
      thrown = error;
    }
    expect(asTokenLimitError(thrown)?.extensions).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      limit: 'tokens',
      max: 10,
    });
    expect(asTokenLimitError(new Error('Syntax Error: Unexpected Name "x".'))).toBeUndefined();
  });
});

describe('well-formed text', () => {
  it.each([
    ['a lone high surrogate', '\ud800x'],
    ['a lone low surrogate', 'x\udc00'],
    ['a NUL character', 'a\u0000b'],
  ])('finds %s, naming the field', (_why, text) => {
    expect(findIllFormedText({ filter: { query: text } })?.field).toBe('filter.query');
    expect(findIllFormedText({ staffIds: ['ok', text] })?.field).toBe('staffIds');
  });

  it('accepts pairs (emoji), accents and empty strings', () => {
    expect(findIllFormedText({ name: 'Zoë 👩‍💻', body: '', list: ['ok'] })).toBeUndefined();
  });
});
