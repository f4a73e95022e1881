export default async function globalTeardown(): Promise<void> {
  const services = globalThis.tandemTestServices;
  services?.redis?.kill('SIGTERM');
  await services?.postgres?.stop();
}
