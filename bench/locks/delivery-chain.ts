/**
 * What one delivery costs a subscriber's stream layers, without sockets or a server: 5,000
 * subscribers of one stream (each a `StreamReader` behind the access guard, as the hub hands
 * them to a subscription), a client loop on each taking events as graphql-ws does, 200 events.
 * Prints the time per delivery, the garbage collections the deliveries caused, and the heap a
 * waiting subscriber holds (its reader, guard, client loop and the promises it waits on).
 *
 *   node -r @swc-node/register bench/locks/delivery-chain.ts [tree]
 *
 * `tree`: a copy of the repository whose `src/` to measure (an earlier commit's: before and
 * after), this one by default.
 */
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AccessWatch as AccessWatchType } from '../../src/subscriptions/access-watch';
import type { EventEnvelope } from '../../src/subscriptions/pubsub';
import type { StreamReader as StreamReaderType } from '../../src/subscriptions/stream-reader';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const SUBSCRIBERS = 5000;
const WARMUP_EVENTS = 20;
const EVENTS = 200;

const tree = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..'));
const load = <T>(module: string) => require(path.join(tree, 'src', module)) as T; // eslint-disable-line @typescript-eslint/no-require-imports
const { StreamReader } = load<{ StreamReader: typeof StreamReaderType }>(
  'subscriptions/stream-reader',
);
const { AccessWatch } = load<{ AccessWatch: typeof AccessWatchType }>('subscriptions/access-watch');
const { createLogger } = load<typeof import('../../src/logger')>('logger');

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function main(): Promise<void> {
  const log = { lastSeq: async () => 0, readPage: async () => [], read: async () => [] };
  const watch = new AccessWatch(
    {} as ConstructorParameters<typeof AccessWatch>[0],
    createLogger('silent'),
  );
  const readers: StreamReaderType[] = [];
  const streams: AsyncIterableIterator<EventEnvelope>[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const reader = new StreamReader(
      's',
      log as unknown as ConstructorParameters<typeof StreamReader>[1],
      {},
      { join: async () => {}, position: async () => 0, started: () => {}, leave: () => {} },
    );
    readers.push(reader);
    const access = { staffId: 'a', notices: 0, generation: 1, recheck: async () => 1 };
    streams.push(watch.guard(reader, access));
  }
  await turn();
  let delivered = 0;
  const clients = streams.map(async (stream) => {
    for (;;) {
      if ((await stream.next()).done) return;
      delivered += 1;
    }
  });
  const publish = async (from: number, to: number) => {
    for (let seq = from; seq <= to; seq++) {
      const event: EventEnvelope = { stream: 's', seq, at: '', payload: {} };
      for (const reader of readers) reader.event(event);
      await turn();
    }
  };
  await publish(1, WARMUP_EVENTS);
  collectGarbage();
  collectGarbage();
  const waitingHeap = process.memoryUsage().heapUsed;
  let collections = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      collections += 1;
      gcMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const deliveredBefore = delivered;
  const start = process.hrtime.bigint();
  await publish(WARMUP_EVENTS + 1, WARMUP_EVENTS + EVENTS);
  const elapsedNs = Number(process.hrtime.bigint() - start);
  await turn();
  observer.disconnect();
  const measured = delivered - deliveredBefore;
  for (const reader of readers) await reader.return();
  await Promise.all(clients);
  readers.length = 0;
  streams.length = 0;
  collectGarbage();
  collectGarbage();
  const emptyHeap = process.memoryUsage().heapUsed;
  console.log(
    JSON.stringify({
      tree,
      deliveries: measured,
      nsPerDelivery: Math.round(elapsedNs / measured),
      collections,
      gcMsPerEvent: +(gcMs / EVENTS).toFixed(2),
      bytesPerWaitingSubscriber: Math.round((waitingHeap - emptyHeap) / SUBSCRIBERS),
    }),
  );
}

void main();
