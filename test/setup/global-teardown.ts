import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const services = globalThis.tandemTestServices;
  services?.redis?.kill('SIGTERM');
  await services?.postgres?.stop();
  if (services?.postgres && services.dataDir)
    await rm(services.dataDir, { recursive: true, force: true });
}
