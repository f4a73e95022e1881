import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as typedDocumentNode from '@graphql-codegen/typed-document-node';
import * as typescriptOperations from '@graphql-codegen/typescript-operations';
import { buildSchema, lexicographicSortSchema, parse, printSchema } from 'graphql';

/**
 * Typed operations for the tests: test/operations/*.graphql against schema.graphql, into
 * test/generated/graphql.ts (`npm run codegen`; `--check` fails when that file is stale or an
 * operation no longer fits the schema, as `npm run check` does).
 *
 * GraphQL Code Generator's own engine and plugins, without its CLI: the CLI's loaders for URLs,
 * GitHub and Apollo Studio and its terminal UI declare Node 22 (npm warns on every install) and
 * Tandem reads one local file. A console's codegen is the README's `codegen.yml` snippet.
 */
const ROOT = path.join(__dirname, '..');
const OUTPUT = 'test/generated/graphql.ts';
const OPERATIONS = 'test/operations';

const CONFIG = {
  enumsAsTypes: true,
  avoidOptionals: false,
  scalars: {
    DateTime: 'string',
    ID: 'string',
    LocalDate: 'string',
    JSONObject: 'Record<string, unknown>',
  },
  useTypeImports: true,
};

async function generate(): Promise<string> {
  const sdl = readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8');
  const files = readdirSync(path.join(ROOT, OPERATIONS))
    .filter((file) => file.endsWith('.graphql'))
    .sort();
  const documents = files.map((file) => {
    const location = path.join(ROOT, OPERATIONS, file);
    const rawSDL = readFileSync(location, 'utf8');
    return { location, rawSDL, document: parse(rawSDL) };
  });
  // Sorted, as the CLI loads a schema: the generated file keeps its order whatever the SDL's.
  const schema = lexicographicSortSchema(buildSchema(sdl));
  return codegen({
    filename: OUTPUT,
    schema: parse(printSchema(schema)),
    schemaAst: schema,
    documents,
    config: CONFIG,
    plugins: [{ 'typescript-operations': {} }, { 'typed-document-node': {} }],
    pluginMap: {
      'typescript-operations': typescriptOperations,
      'typed-document-node': typedDocumentNode,
    },
    emitLegacyCommonJSImports: true,
    importExtension: '',
  });
}

async function main(): Promise<void> {
  const generated = await generate();
  const target = path.join(ROOT, OUTPUT);
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== generated) {
      console.error(`${OUTPUT} is stale: run \`npm run codegen\``);
      process.exit(1);
    }
    return;
  }
  writeFileSync(target, generated);
  console.log(`codegen: ${OUTPUT}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
