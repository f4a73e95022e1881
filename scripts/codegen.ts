import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codegen } from '@graphql-codegen/core';
import type { CodegenPlugin, Types } from '@graphql-codegen/plugin-helpers';
import * as typedDocumentNode from '@graphql-codegen/typed-document-node';
import * as typescriptOperations from '@graphql-codegen/typescript-operations';
import { buildSchema, lexicographicSortSchema, parse, printSchema } from 'graphql';
import { parse as parseYaml } from 'yaml';

/**
 * Typed operations for the tests, as `codegen.yml` says (`npm run codegen`; `--check` fails when
 * the output is stale or an operation no longer fits the schema, as `npm run check` does).
 *
 * GraphQL Code Generator's own engine and plugins, driven by `codegen.yml`, without its CLI: the
 * CLI's loaders for URLs, GitHub and Apollo Studio and its terminal UI declare Node 22 (with them,
 * npm warned on every install; without them it prints none) and Tandem reads local files only. So this reads the subset of `codegen.yml`
 * a local project uses: one schema file, a documents glob in one folder, and per output file its
 * plugins and config. A console's own codegen is the README's `codegen.yml` snippet, for the CLI.
 */
const ROOT = path.join(__dirname, '..');

interface OutputConfig {
  plugins: string[];
  config?: Record<string, unknown>;
}

interface CodegenYml {
  schema: string;
  documents: string;
  generates: Record<string, OutputConfig>;
}

const PLUGINS: Record<string, CodegenPlugin> = {
  'typescript-operations': typescriptOperations,
  'typed-document-node': typedDocumentNode,
};

function readConfig(): CodegenYml {
  const config = parseYaml(readFileSync(path.join(ROOT, 'codegen.yml'), 'utf8')) as CodegenYml;
  if (!/^[\w./-]+\/\*\.graphql$/.test(config.documents)) {
    throw new Error(`codegen.yml: documents must be "folder/*.graphql", not ${config.documents}`);
  }
  for (const [output, { plugins }] of Object.entries(config.generates)) {
    const unknown = plugins.filter((plugin) => !PLUGINS[plugin]);
    if (unknown.length) throw new Error(`codegen.yml: ${output}: no plugin ${unknown.join(', ')}`);
  }
  return config;
}

function readDocuments(glob: string): Types.DocumentFile[] {
  const folder = path.join(ROOT, path.dirname(glob));
  return readdirSync(folder)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const location = path.join(folder, file);
      const rawSDL = readFileSync(location, 'utf8');
      return { location, rawSDL, document: parse(rawSDL) };
    });
}

async function generate(): Promise<Map<string, string>> {
  const config = readConfig();
  // Sorted, as the CLI loads a schema: the generated file keeps its order whatever the SDL's.
  const schema = lexicographicSortSchema(
    buildSchema(readFileSync(path.join(ROOT, config.schema), 'utf8')),
  );
  const documents = readDocuments(config.documents);
  const outputs = new Map<string, string>();
  for (const [filename, output] of Object.entries(config.generates)) {
    const generated = await codegen({
      filename,
      schema: parse(printSchema(schema)),
      schemaAst: schema,
      documents,
      config: output.config ?? {},
      plugins: output.plugins.map((plugin) => ({ [plugin]: {} })),
      pluginMap: Object.fromEntries(output.plugins.map((plugin) => [plugin, PLUGINS[plugin]])),
      emitLegacyCommonJSImports: true,
      importExtension: '',
    });
    outputs.set(filename, generated);
  }
  return outputs;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  for (const [filename, generated] of await generate()) {
    const target = path.join(ROOT, filename);
    if (check) {
      if (readFileSync(target, 'utf8') !== generated) {
        console.error(`${filename} is stale: run \`npm run codegen\``);
        process.exit(1);
      }
      continue;
    }
    writeFileSync(target, generated);
    console.log(`codegen: ${filename}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
