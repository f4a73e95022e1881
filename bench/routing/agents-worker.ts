/**
 * The clients of the routing benchmark, in a process of their own (forked by AgentsProcess):
 *
 * - every agent's console: a graphql-ws socket (`createClient` over `ws`, authenticated with
 *   `connectionParams.authorization`) subscribed to `myAssignments`, and a keep-alive HTTP
 *   connection for its mutations (`setMyStatus`, `closeConversation`). While `closing` is on, an
 *   agent closes each conversation as soon as its ASSIGNED event arrives: that frees capacity,
 *   and the server routes the next waiting conversation.
 * - a dispatcher starting conversations over HTTP (`startConversation`): to fill the queue, and
 *   one at a time for the latency from the request to the agent's event.
 *
 * Each agent talks to one instance (agent i to instance i % instances). Times are
 * `process.hrtime`, comparable with the other processes of the host.
 *
 * A kept-alive connection the server closed as idle just as a request went out on it
 * (DroppedConnectionError) is survived: the agents' operations are idempotent (setting a status;
 * closing a closed conversation changes nothing) and are sent again; a startConversation is not
 * (twice would be two conversations, one more routing), so the dispatcher first looks for it by
 * its subject, unique per start, and starts it again only if it is not there.
 */
import { type Client, createClient, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { ownCpuUs } from '../support/cpu';
import { DroppedConnectionError, droppedConnections, GraphqlHttp } from '../support/graphql-http';
import { serveParent } from '../support/ipc';

export interface AgentSpec {
  staffId: string;
  token: string;
  url: string;
  wsUrl: string;
}

export interface Dispatcher {
  /** The instances' HTTP URLs, used in turn. */
  urls: string[];
  token: string;
  inboxId: string;
  customerIds: string[];
}

export interface AgentsStats {
  agents: number;
  /** ASSIGNED events received (all agents), and those for a conversation already received. */
  assigned: number;
  duplicates: number;
  /** Conversations with an ASSIGNED event. */
  distinct: number;
  unassigned: number;
  closed: number;
  closesInFlight: number;
  /** Sockets closed after being acknowledged. */
  lost: number;
  errors: number;
  firstError?: string;
  /**
   * Kept-alive connections dropped under a request (DroppedConnectionError): idempotent
   * operations sent again; lost starts found done, and starts sent again (not found).
   */
  dropped: { resent: number; startsFound: number; startsResent: number };
  cpuUs: number;
}

export interface LatencyResult {
  /** startConversation sent → the ASSIGNED event at the agent's socket (ms). */
  eventMs: number[];
  /** startConversation sent → its HTTP answer (ms). */
  answerMs: number[];
  /** Events that came on an instance other than the one the conversation was started on. */
  crossInstance: number;
}

export const MY_ASSIGNMENTS = `subscription MyAssignments($after: Int) {
  myAssignments(after: $after) {
    seq
    kind
    at
    conversation {
      id
      routingReason
    }
    actor {
      kind
    }
  }
}`;

const SET_MY_STATUS = `mutation SetMyStatus($input: SetMyStatusInput!) {
  setMyStatus(input: $input) { staff { id status } }
}`;

const CLOSE_CONVERSATION = `mutation CloseConversation($input: CloseConversationInput!) {
  closeConversation(input: $input) { conversation { id status } }
}`;

const START_CONVERSATION = `mutation StartConversation($input: StartConversationInput!) {
  startConversation(input: $input) { conversation { id subject status routingReason assignee { id } } }
}`;

/** The customer's newest conversations in the inbox (to find a start whose answer was lost). */
const RECENT_CONVERSATIONS = `query RecentConversations($filter: ConversationFilterInput!) {
  conversations(first: 50, filter: $filter) {
    edges { node { id subject status routingReason assignee { id } } }
  }
}`;

interface AssignmentEvent {
  myAssignments: { kind: string; conversation: { id: string } };
}

interface Agent extends AgentSpec {
  http: GraphqlHttp;
  client?: Client;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

const agents: Agent[] = [];
let closing = false;
/** ASSIGNED events per conversation: more than one is a double assignment (or a re-delivery). */
const assignedTimes = new Map<string, number>();
/** The instance (URL) of the agent whose socket got a conversation's event. */
const arrivalUrl = new Map<string, string>();
/** Latency samples waiting for their event: conversation id → arrival time. */
const waiters = new Map<string, (at: number) => void>();
const arrivals = new Map<string, number>();
const closes = new Map<string, Promise<void>>();
/** Conversations assigned while `closing` was off: kept open until `closeHeld`. */
const held = new Map<string, Agent>();
const stats = {
  assigned: 0,
  duplicates: 0,
  unassigned: 0,
  closed: 0,
  closesInFlight: 0,
  lost: 0,
  errors: 0,
  firstError: undefined as string | undefined,
};

function noteError(error: unknown): void {
  stats.errors += 1;
  stats.firstError ??=
    error instanceof Error
      ? error.message.slice(0, 500)
      : typeof error === 'string'
        ? error.slice(0, 500)
        : JSON.stringify(error).slice(0, 500);
}

function close(agent: Agent, conversationId: string): Promise<void> {
  stats.closesInFlight += 1;
  return agent.http
    .ok(JSON.stringify({ query: CLOSE_CONVERSATION, variables: { input: { conversationId } } }), {
      idempotent: true,
    })
    .then(
      () => {
        stats.closed += 1;
      },
      (error: unknown) => noteError(error),
    )
    .finally(() => {
      stats.closesInFlight -= 1;
    });
}

function received(agent: Agent, result: FormattedExecutionResult<AssignmentEvent, unknown>): void {
  const at = nowMs();
  if (result.errors?.length || !result.data) {
    noteError(result.errors ?? result);
    return;
  }
  const { kind, conversation } = result.data.myAssignments;
  if (kind !== 'ASSIGNED') {
    stats.unassigned += 1;
    return;
  }
  stats.assigned += 1;
  const times = (assignedTimes.get(conversation.id) ?? 0) + 1;
  assignedTimes.set(conversation.id, times);
  if (times > 1) stats.duplicates += 1;
  arrivalUrl.set(conversation.id, agent.url);
  const waiter = waiters.get(conversation.id);
  if (waiter) {
    waiters.delete(conversation.id);
    waiter(at);
  } else arrivals.set(conversation.id, at);
  if (closing) closes.set(conversation.id, close(agent, conversation.id));
  else held.set(conversation.id, agent);
}

/** Closes every conversation kept open, `concurrency` at a time; answers how many. */
async function closeHeld({ concurrency }: { concurrency: number }): Promise<number> {
  const work = [...held];
  held.clear();
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const [conversationId, agent] = work[next++] as [string, Agent];
      await close(agent, conversationId);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return work.length;
}

function connectOne(agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    let acknowledged = false;
    const client = createClient({
      url: agent.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${agent.token}` },
      onNonLazyError: () => {},
      on: {
        connected: () => {
          acknowledged = true;
          agent.client = client;
          client.subscribe<AssignmentEvent>(
            { query: MY_ASSIGNMENTS },
            {
              next: (result) => received(agent, result),
              error: noteError,
              complete: () => {},
            },
          );
          resolve();
        },
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          if (acknowledged) {
            if (agent.client) stats.lost += 1;
          } else reject(new Error(`socket refused: ${code} ${reason}`));
        },
      },
    });
  });
}

async function connect({ agents: specs }: { agents: AgentSpec[] }): Promise<void> {
  const added = specs.map((spec): Agent => ({
    ...spec,
    http: new GraphqlHttp(spec.url, { authorization: `Bearer ${spec.token}` }),
  }));
  agents.push(...added);
  let next = 0;
  const opener = async () => {
    while (next < added.length) await connectOne(added[next++] as Agent);
  };
  await Promise.all(Array.from({ length: 10 }, opener));
}

async function setStatus({ status }: { status: string }): Promise<number> {
  const started = nowMs();
  await Promise.all(
    agents.map((agent) =>
      agent.http.ok(JSON.stringify({ query: SET_MY_STATUS, variables: { input: { status } } }), {
        idempotent: true,
      }),
    ),
  );
  return nowMs() - started;
}

/** Starts `count` conversations, `concurrency` at a time, over the instances in turn. */
async function startMany(args: {
  dispatcher: Dispatcher;
  count: number;
  concurrency: number;
}): Promise<{ elapsedMs: number }> {
  const { dispatcher, count } = args;
  const started = nowMs();
  let next = 0;
  const lane = async (index: number) => {
    const url = dispatcher.urls[index % dispatcher.urls.length] as string;
    const http = new GraphqlHttp(url, { authorization: `Bearer ${dispatcher.token}` });
    try {
      while (next < count) {
        const n = next++;
        const customerId = dispatcher.customerIds[n % dispatcher.customerIds.length] as string;
        await start(http, dispatcher, customerId);
      }
    } finally {
      http.close();
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, (_, index) => lane(index)));
  return { elapsedMs: nowMs() - started };
}

interface StartedConversation {
  id: string;
  subject: string;
  routingReason: string;
  assignee: { id: string } | null;
}

let starts = 0;
/** Dropped-connection starts found done (not sent again), and sent again (not found). */
const recovered = { found: 0, resent: 0 };

/**
 * startConversation, surviving a dropped kept-alive connection without starting twice: the
 * subject is unique to this start, so a lost answer is looked for among the customer's newest
 * conversations (a read, safe to retry) before the start is sent again.
 */
async function start(
  http: GraphqlHttp,
  dispatcher: Dispatcher,
  customerId: string,
): Promise<StartedConversation> {
  const subject = `bench ${process.pid}-${++starts}`;
  const body = JSON.stringify({
    query: START_CONVERSATION,
    variables: {
      input: { customerId, channel: 'CHAT', inboxId: dispatcher.inboxId, subject, body: 'Hello' },
    },
  });
  const started = (data: Record<string, unknown>) =>
    (data.startConversation as { conversation: StartedConversation }).conversation;
  try {
    return started(await http.ok(body));
  } catch (error) {
    if (!(error instanceof DroppedConnectionError)) throw error;
    const recent = await http.ok(
      JSON.stringify({
        query: RECENT_CONVERSATIONS,
        variables: { filter: { customerId, inboxId: dispatcher.inboxId } },
      }),
      { idempotent: true },
    );
    const edges = (recent.conversations as { edges: Array<{ node: StartedConversation }> }).edges;
    const found = edges.find((edge) => edge.node.subject === subject)?.node;
    if (found) {
      recovered.found += 1;
      return found;
    }
    recovered.resent += 1;
    return started(await http.ok(body));
  }
}

function eventOf(conversationId: string, timeoutMs: number): Promise<number> {
  const arrived = arrivals.get(conversationId);
  if (arrived !== undefined) {
    arrivals.delete(conversationId);
    return Promise.resolve(arrived);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(conversationId);
      reject(new Error(`no ASSIGNED event for ${conversationId} within ${timeoutMs} ms`));
    }, timeoutMs);
    waiters.set(conversationId, (at) => {
      clearTimeout(timer);
      resolve(at);
    });
  });
}

/**
 * One conversation at a time: startConversation, then the ASSIGNED event at the agent it was
 * routed to; the agent closes it (closing must be on) before the next one starts.
 */
async function latency(args: { dispatcher: Dispatcher; samples: number }): Promise<LatencyResult> {
  const { dispatcher } = args;
  const clients = dispatcher.urls.map(
    (url) => new GraphqlHttp(url, { authorization: `Bearer ${dispatcher.token}` }),
  );
  const result: LatencyResult = { eventMs: [], answerMs: [], crossInstance: 0 };
  try {
    for (let n = 0; n < args.samples; n++) {
      const client = clients[n % clients.length] as GraphqlHttp;
      const customerId = dispatcher.customerIds[n % dispatcher.customerIds.length] as string;
      const sent = nowMs();
      const conversation = await start(client, dispatcher, customerId);
      const answered = nowMs();
      if (!conversation.assignee)
        throw new Error(
          `conversation ${conversation.id} was not routed: ${JSON.stringify(conversation)}`,
        );
      const at = await eventOf(conversation.id, 30_000);
      result.eventMs.push(at - sent);
      result.answerMs.push(answered - sent);
      if (arrivalUrl.get(conversation.id) !== dispatcher.urls[n % dispatcher.urls.length])
        result.crossInstance += 1;
      await closes.get(conversation.id);
      closes.delete(conversation.id);
    }
  } finally {
    for (const client of clients) client.close();
  }
  return result;
}

serveParent(
  {
    connect,
    setStatus,
    setClosing: ({ on }: { on: boolean }) => {
      closing = on;
    },
    closeHeld,
    startMany,
    latency,
    forgetArrivals: () => {
      arrivals.clear();
      closes.clear();
      arrivalUrl.clear();
    },
    stats: (): AgentsStats => ({
      agents: agents.length,
      ...stats,
      distinct: assignedTimes.size,
      dropped: {
        resent: droppedConnections.resent,
        startsFound: recovered.found,
        startsResent: recovered.resent,
      },
      cpuUs: ownCpuUs(),
    }),
  },
  async () => {
    for (const agent of agents) {
      const client = agent.client;
      agent.client = undefined;
      agent.http.close();
      await client?.dispose();
    }
  },
);
