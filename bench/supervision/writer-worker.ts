/**
 * The spy part's writer, in a process of its own: a Tandem instance (`startServer`, on the
 * benchmark's Postgres and Redis) that stores customer messages through the services at a given
 * rate and answers when each one committed. It is not the process that holds the spies' sockets:
 * a writer storing 200 messages a second (TypeORM, pg, its garbage) beside the clients delayed the
 * clients' receipts with its own work, which the baseline's clients never had beside them
 * (PERF.md: clients in a process apart from the servers).
 */
import 'reflect-metadata';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Redis from 'ioredis';
import type { Auth } from '../../src/context/auth';
import { startServer, type TandemServer } from '../../src/server';
import { ownCpuUs } from '../support/cpu';
import { serveParent } from '../support/ipc';
import { inProcessConfig } from '../support/config';
import { openLoop } from './clients';
import { wallMs } from '../support/clock';

export interface WriterStart {
  databaseUrl: string;
  redisUrl: string;
  adminToken: string;
}

export interface DriveArgs {
  conversationIds: string[];
  perSecond: number;
  seconds: number;
  body: string;
}

export interface Written {
  /** Each message stored: its id and when its write returned (committed; wall clock, ms). */
  committed: Array<[id: string, at: number]>;
  failed: number;
  /** This process's event-loop delay over the load (ms). */
  loopDelay: { p50: number; p99: number; max: number };
}

export interface PublishArgs {
  channels: string[];
  /** Stored first, one per event (the same writes as ours' rounds), then the event is published. */
  conversationIds: string[];
  message: string;
  perSecond: number;
  seconds: number;
  /** The payload's padding (as long as ours' event). */
  body: string;
}

let server: TandemServer | undefined;
let admin: Auth | undefined;
/** The floor's publisher: Redis as ours' instances publish to it (auto-pipelined). */
let redis: Redis | undefined;
let seq = 0;

/** The floor: one event straight to Redis, no store; answers its seq and when it was sent. */
async function publishBare(channel: string, body: string): Promise<[number, number]> {
  const next = seq++;
  const at = wallMs();
  await redis!.publish(
    channel,
    JSON.stringify({ seq: next, kind: 'MESSAGE', at: new Date().toISOString(), body }),
  );
  return [next, at];
}

async function post(conversationId: string, body: string): Promise<[string, number]> {
  const message = await server!.services.messages.postCustomerMessage(admin!, conversationId, body);
  return [message.id, wallMs()];
}

serveParent(
  {
    start: async ({ databaseUrl, redisUrl, adminToken }: WriterStart) => {
      server = await startServer({ config: inProcessConfig({ redisUrl }), databaseUrl });
      redis = new Redis(redisUrl, { enableAutoPipelining: true });
      admin = (await server.services.auth.authenticate(adminToken)) ?? undefined;
      if (!admin) throw new Error('writer: the admin token was refused');
    },
    /** One message to each conversation, all at once. */
    prime: ({ conversationIds, body }: { conversationIds: string[]; body: string }) =>
      Promise.all(conversationIds.map((id) => post(id, body))),
    /** An open loop over the conversations, in turn; a failed write is counted, not fatal. */
    drive: async ({ conversationIds, perSecond, seconds, body }: DriveArgs): Promise<Written> => {
      const committed: Written['committed'] = [];
      let failed = 0;
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      await openLoop(perSecond, seconds, (k) =>
        post(conversationIds[k % conversationIds.length]!, body).then(
          (entry) => committed.push(entry),
          () => (failed += 1),
        ),
      );
      delay.disable();
      return {
        committed,
        failed,
        loopDelay: {
          p50: delay.percentile(50) / 1e6,
          p99: delay.percentile(99) / 1e6,
          max: delay.max / 1e6,
        },
      };
    },
    /** The floor's priming: one event to each channel. */
    primeBare: ({ channels, body }: { channels: string[]; body: string }) =>
      Promise.all(channels.map((channel) => publishBare(channel, body))),
    /**
     * The floor's load: the same message stored as in ours' rounds (so the machine does the same
     * work), then an event published straight to Redis once the write returned, at the spy's
     * rate, open loop; a failed write is counted, not fatal.
     */
    driveBare: async ({
      channels,
      conversationIds,
      message,
      perSecond,
      seconds,
      body,
    }: PublishArgs) => {
      const sent: Array<[number, number]> = [];
      let failed = 0;
      await openLoop(perSecond, seconds, (k) =>
        post(conversationIds[k % conversationIds.length]!, message).then(
          () => publishBare(channels[k % channels.length]!, body).then((entry) => sent.push(entry)),
          () => (failed += 1),
        ),
      );
      return { sent, failed };
    },
    cpu: () => ownCpuUs(),
    stop: async () => {
      redis?.disconnect();
      await server?.stop();
      server = undefined;
    },
  },
  async () => {
    redis?.disconnect();
    await server?.stop();
  },
);
