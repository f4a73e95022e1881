import type { TandemServer } from '../../src/server';
import type { BenchContext, LoadOptions } from '../support/benchmark';
import { type Comparison, compareAlternately } from '../support/compare';
import { machineBusyUs, processTreeCpuUs } from '../support/cpu';
import type { LoadGenerator } from '../support/load';
import { statementsPerRequest } from '../support/requests';
import { readTakeBody, takeBody } from '../support/baselines/one-write';
import { floorBody } from '../support/baselines/lock-floor';
import { HELLO, OPEN_TICKET, RELEASE_TICKET, ticketBody } from './operations';
import type { ServerProcess } from '../support/server-process';
import type { Worker } from './seed';

/**
 * SQL statements of one openTicket and one releaseTicket over HTTP on the benchmark's own
 * (in-process) server, acting as the worker's window (background jobs not counted).
 */
export async function countLockStatements(
  server: TandemServer,
  worker: Worker,
): Promise<Record<'openTicket' | 'releaseTicket', number>> {
  const headers = {
    authorization: `Bearer ${worker.token}`,
    'x-client-session': worker.sessionId,
  };
  const open = ticketBody(OPEN_TICKET, worker.ticketId);
  const release = ticketBody(RELEASE_TICKET, worker.ticketId);
  // Each is counted as the fewest of three, so they alternate: acquire, release, acquire...
  let openTicket = Number.POSITIVE_INFINITY;
  let releaseTicket = Number.POSITIVE_INFINITY;
  for (let n = 0; n < 3; n++) {
    openTicket = Math.min(openTicket, await statementsPerRequest(server, open, headers, 1));
    releaseTicket = Math.min(
      releaseTicket,
      await statementsPerRequest(server, release, headers, 1),
    );
  }
  return { openTicket, releaseTicket };
}

const json = { 'content-type': 'application/json', accept: 'application/json' };

/** The variants of part 2's throughput, in the order they run and are reported. */
export const OPS_VARIANTS = {
  baseline: 'baseline',
  ours: 'ours',
  oursSocket: 'ours over the socket',
  socketHello: 'graphql-ws { hello }',
  oneWrite: 'one write',
  oneWriteSocket: 'one write over the socket',
  readWrite: 'one read + one write',
  lockFloor: 'lock floor over HTTP',
  lockFloorSocket: 'lock floor over graphql-ws',
  before: 'ours before',
  beforeSocket: 'ours before over the socket',
} as const;

/**
 * Part 2's throughput: windows each looping openTicket then releaseTicket on a ticket of their
 * own, over HTTP (keep-alive) and over a graphql-ws socket each, against bare Apollo's
 * `{ hello }` at the same concurrency, alternating rounds. Every request is one lock operation
 * (an acquire or a release). Beside them, the floor: the same transports doing nothing
 * (`{ hello }` over graphql-ws) and doing one durable write each (the one-write server).
 */
export function compareLockThroughput({
  context,
  generator,
  options,
  apollo,
  ours,
  before,
  oneWrite,
  lockFloor,
  workers,
  postmasterPid,
}: {
  context: BenchContext;
  generator: LoadGenerator;
  options: LoadOptions;
  apollo: ServerProcess;
  ours: ServerProcess;
  /** BENCH_BEFORE_TREE's server (an earlier commit's), measured the same way beside ours. */
  before?: ServerProcess;
  oneWrite: ServerProcess;
  /**
   * Bare Apollo running the caller's lookup and the lock function in one statement, and bare
   * graphql-ws running the lock function on the socket's window.
   */
  lockFloor: ServerProcess;
  workers: Worker[];
  postmasterPid: number | undefined;
}): Promise<Comparison> {
  // Each client its own row of the one-write server, as each window has its own ticket.
  const takes = workers.map((_, index) => ({ bodies: [takeBody(index + 1)] }));
  const readTakes = workers.map((_, index) => ({ bodies: [readTakeBody(index + 1)] }));
  return compareAlternately({
    context,
    generator,
    options,
    counters: () => ({
      machineBusyUs: machineBusyUs(),
      ...(postmasterPid ? { postgresCpuUs: processTreeCpuUs(postmasterPid) } : {}),
    }),
    variants: [
      {
        name: OPS_VARIANTS.baseline,
        request: {
          url: apollo.url,
          headers: json,
          body: JSON.stringify({ query: HELLO }),
          failIfBodyIncludes: '"errors"',
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(apollo.pid) }),
      },
      ...oursVariants(ours, OPS_VARIANTS.ours, OPS_VARIANTS.oursSocket, workers),
      ...(before
        ? oursVariants(before, OPS_VARIANTS.before, OPS_VARIANTS.beforeSocket, workers)
        : []),
      {
        name: OPS_VARIANTS.socketHello,
        request: {
          transport: 'graphql-ws',
          url: oneWrite.wsUrl,
          body: JSON.stringify({ query: HELLO }),
          failIfBodyIncludes: '"errors"',
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(oneWrite.pid) }),
      },
      {
        name: OPS_VARIANTS.oneWrite,
        request: {
          url: oneWrite.url,
          headers: json,
          clients: takes,
          failIfBodyIncludes: '"errors"',
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(oneWrite.pid) }),
      },
      {
        // The floor of an authenticated HTTP mutation: its caller's read, then its write.
        name: OPS_VARIANTS.readWrite,
        request: {
          url: oneWrite.url,
          headers: json,
          clients: readTakes,
          failIfBodyIncludes: '"errors"',
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(oneWrite.pid) }),
      },
      {
        // What ours' HTTP operation cannot go below with these rules: the caller and the lock
        // function in one statement, its events numbered after it, behind bare Apollo. The
        // same windows and tickets as ours over HTTP (the variants never run at once).
        name: OPS_VARIANTS.lockFloor,
        request: {
          url: lockFloor.url,
          headers: json,
          clients: workers.map((worker) => ({
            headers: {
              authorization: `Bearer ${worker.token}`,
              'x-client-session': worker.sessionId,
            },
            bodies: [
              floorBody('openTicket', worker.ticketId),
              floorBody('releaseTicket', worker.ticketId),
            ],
          })),
          failIfBodyIncludes: ['"errors"', 'LOCKED_BY_OTHER', 'NOT_HELD', 'NOT_FOUND', 'ENDED'],
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(lockFloor.pid) }),
      },
      {
        // What ours' socket operation cannot go below with these rules: bare graphql-ws whose
        // socket is its window (authenticated once, at connect), the same lock function in one
        // statement per operation, its events numbered after it. The same tickets as ours over
        // the socket, the same sign-ins (each connection opens a window of its own, as ours).
        name: OPS_VARIANTS.lockFloorSocket,
        request: {
          transport: 'graphql-ws',
          url: lockFloor.wsUrl,
          clients: workers.map((worker) => ({
            connectionParams: { authorization: `Bearer ${worker.token}` },
            bodies: [
              floorBody('openTicket', worker.socketTicketId),
              floorBody('releaseTicket', worker.socketTicketId),
            ],
          })),
          failIfBodyIncludes: ['"errors"', 'LOCKED_BY_OTHER', 'NOT_HELD', 'NOT_FOUND', 'ENDED'],
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(lockFloor.pid) }),
      },
      {
        name: OPS_VARIANTS.oneWriteSocket,
        request: {
          transport: 'graphql-ws',
          url: oneWrite.wsUrl,
          clients: takes,
          failIfBodyIncludes: '"errors"',
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(oneWrite.pid) }),
      },
    ],
  });
}

/** Ours over HTTP and over the socket, on `server`: every request one lock operation. */
function oursVariants(server: ServerProcess, http: string, socket: string, workers: Worker[]) {
  return [
    {
      name: http,
      request: {
        url: server.url,
        headers: json,
        clients: workers.map((worker) => ({
          headers: {
            authorization: `Bearer ${worker.token}`,
            'x-client-session': worker.sessionId,
          },
          bodies: [
            ticketBody(OPEN_TICKET, worker.ticketId),
            ticketBody(RELEASE_TICKET, worker.ticketId),
          ],
        })),
        failIfBodyIncludes: ['"errors"', 'TicketLockedByOther', '"released":false'],
      },
      counters: () => ({ serverCpuUs: processTreeCpuUs(server.pid) }),
    },
    {
      // What a console does: the same operations over the socket it already holds (the
      // socket is its window; it authenticated once, when it connected).
      name: socket,
      request: {
        transport: 'graphql-ws' as const,
        url: server.wsUrl,
        clients: workers.map((worker) => ({
          connectionParams: { authorization: `Bearer ${worker.token}` },
          bodies: [
            ticketBody(OPEN_TICKET, worker.socketTicketId),
            ticketBody(RELEASE_TICKET, worker.socketTicketId),
          ],
        })),
        failIfBodyIncludes: ['"errors"', 'TicketLockedByOther', '"released":false'],
      },
      counters: () => ({ serverCpuUs: processTreeCpuUs(server.pid) }),
    },
  ];
}
