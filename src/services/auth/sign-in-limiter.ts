import type { DataSource, EntityManager } from 'typeorm';
import { RateLimitedError } from '../../errors/domain-error';

/** Failed sign-ins for one email from one address before each further attempt must wait. */
export const FREE_FAILURES = 5;
/** Failures older than this are forgotten. */
const FAILURE_WINDOW_MS = 15 * 60_000;
const FIRST_BLOCK_MS = 15_000;
const MAX_BLOCK_MS = 15 * 60_000;

/**
 * Counts the attempt as a failure of (email, address) up front, unless that pair is blocked:
 * the fifth failure blocks the pair for 15 s, each later one (one per block) twice as long, up
 * to 15 minutes. The row stays locked until the decision commits, so concurrent attempts are
 * counted one after the other. No row: refused.
 */
const CLAIM_ATTEMPT = `
  INSERT INTO sign_in_throttle AS t (email, address, failures, last_failure_at, blocked_until)
  VALUES ($1, $2, 1, now(), NULL)
  ON CONFLICT (email, address) DO UPDATE SET
    failures = CASE WHEN t.last_failure_at < now() - $3 * interval '1 millisecond' THEN 1 ELSE t.failures + 1 END,
    last_failure_at = now(),
    blocked_until = CASE
      WHEN t.last_failure_at >= now() - $3 * interval '1 millisecond' AND t.failures + 1 >= $4
      THEN now() + LEAST($6, $5 * power(2, t.failures + 1 - $4)) * interval '1 millisecond'
      ELSE NULL END
  WHERE t.blocked_until IS NULL OR t.blocked_until <= now()
  RETURNING failures`;

/** Takes a token from the address's bucket (refilled at `$2` a minute, holding at most `$2`); no row: none left. */
const TAKE_TOKEN = `
  INSERT INTO sign_in_budget AS b (address, tokens, updated_at) VALUES ($1, $2::float8 - 1, now())
  ON CONFLICT (address) DO UPDATE SET
    tokens = LEAST($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8 / 60) - 1,
    updated_at = now()
  WHERE LEAST($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $2::float8 / 60) >= 1
  RETURNING tokens`;

/**
 * Sign-in throttling, decided in Postgres (so that it holds behind a load balancer) and before
 * the password hash (so that it cannot be raced): per email *and* client address, failures
 * block further attempts for that pair only (never the owner signing in from elsewhere); per
 * address, whatever the email, attempts are limited to a budget (each one costs a hash). A
 * refused attempt writes nothing; a successful one clears its pair's failures and gives its
 * token back (staff of one office behind one address all sign in in the morning).
 */
export class SignInLimiter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly attemptsPerMinute: number,
  ) {}

  /** Admits one attempt of `email` from `address`, or throws RATE_LIMITED (nothing written). */
  async admit(email: string, address: string): Promise<void> {
    // A refusal is thrown inside the transaction: it rolls back what the attempt had counted.
    await this.dataSource.transaction(async (manager) => {
      const claimed = (await manager.query(CLAIM_ATTEMPT, [
        email,
        address,
        FAILURE_WINDOW_MS,
        FREE_FAILURES,
        FIRST_BLOCK_MS,
        MAX_BLOCK_MS,
      ])) as unknown[];
      if (claimed.length === 0) throw await this.pairRefusal(manager, email, address);
      const taken = (await manager.query(TAKE_TOKEN, [
        address,
        this.attemptsPerMinute,
      ])) as unknown[];
      if (taken.length === 0) throw await this.addressRefusal(manager, address);
    });
  }

  /** The attempt signed in: its pair starts afresh and its address gets its token back. */
  async succeeded(manager: EntityManager, email: string, address: string): Promise<void> {
    await manager.query('DELETE FROM sign_in_throttle WHERE email = $1 AND address = $2', [
      email,
      address,
    ]);
    await manager.query(
      'UPDATE sign_in_budget SET tokens = LEAST($2::float8, tokens + 1) WHERE address = $1',
      [address, this.attemptsPerMinute],
    );
  }

  /** How long the pair is still blocked. */
  private async pairRefusal(
    manager: EntityManager,
    email: string,
    address: string,
  ): Promise<RateLimitedError> {
    const [row] = (await manager.query(
      `SELECT ceil(extract(epoch FROM blocked_until - now()))::int AS wait
         FROM sign_in_throttle WHERE email = $1 AND address = $2`,
      [email, address],
    )) as Array<{ wait: number }>;
    return refuse(row?.wait ?? 1);
  }

  private async addressRefusal(manager: EntityManager, address: string): Promise<RateLimitedError> {
    const [row] = (await manager.query(
      `SELECT ceil((1 - LEAST($2::float8, tokens + extract(epoch FROM now() - updated_at)::float8 * $2::float8 / 60))
                   * 60 / $2::float8)::int AS wait
         FROM sign_in_budget WHERE address = $1`,
      [address, this.attemptsPerMinute],
    )) as Array<{ wait: number }>;
    return refuse(row?.wait ?? 1);
  }
}

function refuse(waitSeconds: number): RateLimitedError {
  return new RateLimitedError(Math.max(1, waitSeconds));
}
