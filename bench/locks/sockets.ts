import type { BenchContext } from '../support/benchmark';
import type { ServerProcess } from '../support/server-process';
import type { WatcherProcess } from './processes';
import type { Operation } from './watcher-worker';

export interface MemoryFigure {
  sockets: number;
  warmupSockets: number;
  subscriptionsPerSocket: number;
  connectSeconds: number;
  /** Memory before the consoles, then after each batch of them. */
  points: Array<{ sockets: number; memory: NodeJS.MemoryUsage }>;
  /** Growth per console (bytes): the least-squares slope over the points. */
  rssPerSocket: number;
  heapUsedPerSocket: number;
  /** What V8 reserved for its heap (used, free, fragmented). */
  heapTotalPerSocket: number;
  /** Buffers outside the heap (socket buffers...). */
  externalPerSocket: number;
}

export interface ConsoleShape {
  name: string;
  server: ServerProcess;
  watchers: WatcherProcess;
  tokens: string[];
  operations: Operation[];
  /** Streams or channels that each get one live subscriber per socket. */
  streams: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return den ? num / den : Number.NaN;
}

/**
 * Memory per console: the server's RSS and heap (after full collections) before the consoles and
 * after each of `batches` batches of them, each console with its subscriptions; the growth per
 * console is the slope over those points, steadier than one difference (RSS grows in steps). A
 * few consoles connect and leave first, so that compiled code is not counted as theirs.
 */
export async function measureConsoleMemory(
  context: BenchContext,
  shape: ConsoleShape,
  sockets: number,
  warmupSockets: number,
  batches = 4,
): Promise<MemoryFigure> {
  const { server, watchers, streams } = shape;
  const connect = async (count: number, total: number) => {
    const outcome = await watchers.connect(server.wsUrl, shape.tokens, count, shape.operations, 50);
    if (outcome.connected !== count)
      throw new Error(
        `${shape.name}: ${outcome.connected} of ${count} consoles connected: ` +
          `${JSON.stringify(outcome.refused)} ${outcome.refusedReasons.join('; ')}`,
      );
    await server.waitForLive(streams, total);
    return outcome.elapsedMs / 1000;
  };
  context.log(`sockets: ${shape.name}: warming up with ${warmupSockets} consoles`);
  await connect(warmupSockets, warmupSockets);
  await watchers.closeAll();
  await server.waitForSockets(0);
  await pause(1000); // windows closing finish their statements
  const points: MemoryFigure['points'] = [{ sockets: 0, memory: await server.memory() }];
  context.log(`sockets: ${shape.name}: connecting ${sockets} consoles in ${batches} batches`);
  let connectSeconds = 0;
  for (let batch = 1; batch <= batches; batch++) {
    const total = Math.round((sockets * batch) / batches);
    connectSeconds += await connect(total - (points[points.length - 1]?.sockets ?? 0), total);
    await pause(300);
    points.push({ sockets: total, memory: await server.memory() });
  }
  await watchers.closeAll();
  const per = (read: (memory: NodeJS.MemoryUsage) => number) =>
    slope(points.map((point) => [point.sockets, read(point.memory)]));
  return {
    sockets,
    warmupSockets,
    subscriptionsPerSocket: shape.operations.length,
    connectSeconds,
    points,
    rssPerSocket: per((memory) => memory.rss),
    heapUsedPerSocket: per((memory) => memory.heapUsed),
    heapTotalPerSocket: per((memory) => memory.heapTotal),
    externalPerSocket: per((memory) => memory.external + memory.arrayBuffers),
  };
}
