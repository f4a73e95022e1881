import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { getSchema } from '../src/schema/build-schema';

/** The schema as committed in schema.graphql (the contract consoles and codegen read). */
export async function printTandemSchema(): Promise<string> {
  return `${printSchema(await getSchema())}\n`;
}

if (require.main === module) {
  printTandemSchema()
    .then((sdl) => {
      writeFileSync('schema.graphql', sdl);
      console.log('wrote schema.graphql');
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
