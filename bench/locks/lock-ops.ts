import { statementCounter } from '../../src/db/data-source';
import type { TandemServer } from '../../src/server';
import type { BenchContext, LoadOptions } from '../support/benchmark';
import { type Comparison, compareAlternately } from '../support/compare';
import { machineBusyUs, processTreeCpuUs } from '../support/cpu';
import type { LoadGenerator } from '../support/load';
import { GraphqlHttp } from '../support/graphql-http';
import { takeBody } from '../support/baselines/one-write';
import { HELLO, OPEN_TICKET, RELEASE_TICKET, ticketBody } from './operations';
import type { ServerProcess } from './processes';
import type { Worker } from './seed';

export interface StatementFigure {
  operation: 'openTicket' | 'releaseTicket';
  total: number;
  authentication: number;
  lock: number;
  /** Numbering its events once it has committed (one statement for all that committed meanwhile). */
  numbering: number;
  other: number;
  /** The statements, shortened. */
  statements: string[];
}

const shorten = (sql: string) => {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 110 ? `${flat.slice(0, 107)}...` : flat;
};

/**
 * SQL statements of one openTicket and one releaseTicket over HTTP, on the benchmark's own
 * (in-process) server, sorted into authentication (the bearer token and window), the lock
 * function, numbering its events after commit, and anything else. Background jobs (sweeper,
 * session checks) are not counted.
 */
export async function countLockStatements(
  server: TandemServer,
  worker: Worker,
): Promise<StatementFigure[]> {
  const client = new GraphqlHttp(server.url, {
    authorization: `Bearer ${worker.token}`,
    'x-client-session': worker.sessionId,
  });
  const counter = statementCounter(server.dataSource);
  const bodies = {
    openTicket: ticketBody(OPEN_TICKET, worker.ticketId),
    releaseTicket: ticketBody(RELEASE_TICKET, worker.ticketId),
  } as const;
  try {
    // Once unmeasured (first use of the documents), then measured.
    for (const body of Object.values(bodies)) await client.ok(body);
    const figures: StatementFigure[] = [];
    for (const operation of ['openTicket', 'releaseTicket'] as const) {
      counter.recorded = [];
      const before = counter.count;
      await client.ok(bodies[operation]);
      const total = counter.count - before;
      const statements = counter.recorded;
      counter.recorded = undefined;
      const authentication = statements.filter((sql) => sql.includes('token_hash')).length;
      const lock = statements.filter((sql) => /tandem_(open|release)_ticket/.test(sql)).length;
      const numbering = statements.filter((sql) => sql.includes('tandem_sequence_stream')).length;
      figures.push({
        operation,
        total,
        authentication,
        lock,
        numbering,
        other: total - authentication - lock - numbering,
        statements: statements.map(shorten),
      });
    }
    return figures;
  } finally {
    counter.recorded = undefined;
    client.close();
  }
}

/** The variants of part 2's throughput, in the order they run and are reported. */
export const OPS_VARIANTS = {
  baseline: 'baseline',
  ours: 'ours',
  oursSocket: 'ours over the socket',
  socketHello: 'graphql-ws { hello }',
  oneWrite: 'one write',
  oneWriteSocket: 'one write over the socket',
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
  oneWrite,
  workers,
  postmasterPid,
}: {
  context: BenchContext;
  generator: LoadGenerator;
  options: LoadOptions;
  apollo: ServerProcess;
  ours: ServerProcess;
  oneWrite: ServerProcess;
  workers: Worker[];
  postmasterPid: number | undefined;
}): Promise<Comparison> {
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  // Each client its own row of the one-write server, as each window has its own ticket.
  const takes = workers.map((_, index) => ({ bodies: [takeBody(index + 1)] }));
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
      {
        name: OPS_VARIANTS.ours,
        request: {
          url: ours.url,
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
        counters: () => ({ serverCpuUs: processTreeCpuUs(ours.pid) }),
      },
      {
        // What a console does: the same operations over the socket it already holds (the
        // socket is its window; it authenticated once, when it connected).
        name: OPS_VARIANTS.oursSocket,
        request: {
          transport: 'graphql-ws',
          url: ours.wsUrl,
          clients: workers.map((worker) => ({
            connectionParams: { authorization: `Bearer ${worker.token}` },
            bodies: [
              ticketBody(OPEN_TICKET, worker.ticketId),
              ticketBody(RELEASE_TICKET, worker.ticketId),
            ],
          })),
          failIfBodyIncludes: ['"errors"', 'TicketLockedByOther', '"released":false'],
        },
        counters: () => ({ serverCpuUs: processTreeCpuUs(ours.pid) }),
      },
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
