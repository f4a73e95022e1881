/** The migrated database every test file of this run clones (CREATE DATABASE ... TEMPLATE). */
export function templateDatabase(): string {
  const name = process.env.TANDEM_TEST_TEMPLATE;
  if (!name) throw new Error('TANDEM_TEST_TEMPLATE is not set: run the tests with `npm test`');
  return name;
}

export function testPostgresUrl(): string {
  const url = process.env.TANDEM_TEST_POSTGRES_URL;
  if (!url) throw new Error('TANDEM_TEST_POSTGRES_URL is not set: run the tests with `npm test`');
  return url;
}

export function testRedisUrl(): string {
  const url = process.env.TANDEM_TEST_REDIS_URL;
  if (!url) throw new Error('TANDEM_TEST_REDIS_URL is not set: run the tests with `npm test`');
  return url;
}
