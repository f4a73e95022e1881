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

// prettier-ignore
const FIRST_NAMES = [
  'Amara', 'Bruno', 'Chen', 'Dalia', 'Emil', 'Fatima', 'Goran', 'Hana', 'Ines', 'Jonas',
  'Kofi', 'Lena', 'Mateo', 'Nadia', 'Oskar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tariq',
  'Ulla', 'Victor', 'Wen', 'Ximena', 'Yusuf',
];
// prettier-ignore
const LAST_NAMES = [
  'Okafor', 'Silva', 'Nguyen', 'Larsen', 'Kowalski', 'Tanaka', 'Schmidt', 'Ibrahim', 'Costa',
  'Novak', 'Lindqvist',
];

/** The n-th seeded customer's names; `stride` changes how first and last names pair up. */
export function customerName(index: number, stride = 1): { first: string; last: string } {
  return {
    first: FIRST_NAMES[index % FIRST_NAMES.length] as string,
    last: LAST_NAMES[(index * stride) % LAST_NAMES.length] as string,
  };
}

/** First messages of seeded conversations. */
export const OPENERS = [
  'Hello, my order has not arrived yet.',
  'I was charged twice this month.',
  'How do I change the address on my account?',
  'The app logs me out every few minutes.',
  'Can I upgrade my plan before the renewal date?',
];
