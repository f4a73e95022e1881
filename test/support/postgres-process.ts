/**
 * An embedded PostgreSQL cluster in a process of its own (the package is ESM-only, which jest's
 * module system cannot load): `node postgres-process.ts <data dir> <port>` starts it (creating
 * it the first time), prints `{"url": ...}` once it accepts connections, and stops it on SIGTERM.
 * A test stops and starts the cluster again on the same port this way.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir || !port) throw new Error('usage: postgres-process.ts <data dir> <port>');
  const cluster = await startEmbeddedPostgres(dataDir, createLogger('error'), {
    extraFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off'],
    port: Number(port),
  });
  process.once('SIGTERM', () => {
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  console.log(JSON.stringify({ url: cluster.url }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
