import { GraphQLError } from 'graphql';
import type { Config } from '../config';
import { ErrorCode } from '../errors/domain-error';

/** `capacity` tokens at once, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.at = now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole seconds until a token is back. */
  secondsUntilNext(): number {
    this.refill();
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }
}

/**
 * Refused subscribes a socket may send per minute before it is taken for an attack rather than
 * a console retrying, and closed.
 */
export const ABUSIVE_REFUSALS_PER_MINUTE = 100;

export type Admission =
  { admitted: true } | { admitted: false; error: GraphQLError; abusive: boolean };

/**
 * The subscriptions of one socket: at most `maxSubscriptionsPerSocket` at once, and started at
 * `subscribeRatePerSocket` a second once the first burst (as many as the cap: a console opening
 * all its streams at once) is spent. A refusal ends that operation only; a socket refused
 * `ABUSIVE_REFUSALS_PER_MINUTE` times in a minute is abusive.
 */
export class SocketSubscriptions {
  private readonly ids = new Set<string>();
  private readonly starts: TokenBucket;
  private readonly refusals = new TokenBucket(
    ABUSIVE_REFUSALS_PER_MINUTE,
    ABUSIVE_REFUSALS_PER_MINUTE / 60,
  );

  constructor(
    private readonly config: Pick<Config, 'maxSubscriptionsPerSocket' | 'subscribeRatePerSocket'>,
  ) {
    this.starts = new TokenBucket(config.maxSubscriptionsPerSocket, config.subscribeRatePerSocket);
  }

  /**
   * Decides on subscription `id`. `isActive` tells whether an operation admitted earlier is
   * still running (graphql-ws forgets an operation when it ends, whichever way).
   */
  admit(id: string, isActive: (id: string) => boolean): Admission {
    for (const held of this.ids) if (!isActive(held)) this.ids.delete(held);
    const max = this.config.maxSubscriptionsPerSocket;
    if (this.ids.size >= max) {
      return this.refuse(
        `This socket already holds ${max} subscriptions: complete one before starting another`,
        { limit: 'maxSubscriptionsPerSocket', max },
      );
    }
    if (!this.starts.take()) {
      const retryAfterSeconds = this.starts.secondsUntilNext();
      return this.refuse(
        `Subscriptions are started too fast on this socket: retry in ${retryAfterSeconds} s`,
        { limit: 'subscribeRatePerSocket', retryAfterSeconds },
      );
    }
    this.ids.add(id);
    return { admitted: true };
  }

  private refuse(message: string, extensions: Record<string, unknown>): Admission {
    return {
      admitted: false,
      error: new GraphQLError(message, {
        extensions: { ...extensions, code: ErrorCode.RATE_LIMITED },
      }),
      abusive: !this.refusals.take(),
    };
  }
}
