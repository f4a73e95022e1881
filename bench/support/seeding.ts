import type { Auth } from '../../src/context/auth';
import type { TandemServer } from '../../src/server';

/** The password of every account a benchmark seeds. */
export const BENCH_PASSWORD = 'bench password, not a secret';

/** Runs `work` over `items`, `concurrency` at a time. */
export async function forEachConcurrently<T>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Signs a seeded account in: its token and who it is. */
export async function signedIn(
  server: TandemServer,
  email: string,
): Promise<{ auth: Auth; token: string }> {
  const { token } = await server.services.auth.signIn(email, BENCH_PASSWORD);
  const auth = await server.services.auth.authenticate(token);
  if (!auth) throw new Error(`could not authenticate ${email}`);
  return { auth, token };
}
