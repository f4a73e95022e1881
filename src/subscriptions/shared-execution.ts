import { randomBytes } from 'node:crypto';
import {
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Auth } from '../context/auth';
import type { Context } from '../context/context';

/**
 * Fields whose value depends on who asks (beyond organization and role), marked with
 * `@Extensions({ viewerDependent: true })`: a subscription selecting one is grouped per person.
 */
function dependsOnViewer(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let dependent = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        if (typeInfo.getFieldDef()?.extensions?.viewerDependent) dependent = true;
      },
    }),
  );
  return dependent;
}

/** Stands for a shared result in an outgoing message, until `expand` puts its bytes there. */
const MARKER_PREFIX = `@@tandem-shared:${randomBytes(6).toString('hex')}:`;
const MARKER_SUFFIX = '@@';

/**
 * How long a cohort's serialized result stays findable by its marker: every member's message
 * is sent well within it (a fan-out to 10,000 sockets takes about a second). A member that sends
 * later (a slow client's buffered event) serializes the result itself: see `share`.
 */
export const SHARED_BYTES_MS = 5000;

const DONE: IteratorResult<ExecutionResult> = Object.freeze({ value: undefined, done: true });

/** A message split around a shared result's bytes (`socket-writes.ts` sends it as one frame). */
export interface SharedMessage {
  head: string;
  body: Buffer;
  tail: string;
}

/** A cohort's execution of one event: its promise, and its answer once there. */
interface CohortResult {
  promise: Promise<IteratorResult<ExecutionResult>>;
  settled?: IteratorResult<ExecutionResult>;
}

/**
 * Subscription events executed once per cohort: the subscribers that sent the same document
 * with the same variables, in the same access scope (organization, role, and the person when
 * the document selects a viewer-dependent field). An event reaching 5,000 watchers of an inbox
 * is executed once per cohort instead of once per socket, and serialized once: the message each
 * socket sends carries a marker that `expand` swaps for the shared bytes.
 *
 * What a delivery costs per subscriber is kept to what plain graphql-ws pays or less: the
 * members of a cohort get the same iterator result object (no copy, no promise once it is
 * there), and the serialized bytes are found by their marker in two maps that swap every
 * `SHARED_BYTES_MS` (no weak reference or finalizer per event: both are work for the garbage
 * collector, which at 5,000 watchers makes the slow events).
 */
export class SharedExecution {
  private readonly results = new WeakMap<object, Map<string, CohortResult>>();
  /** Serialized results by marker: this period's, and the previous period's. */
  private bytes = new Map<string, Buffer>();
  private olderBytes = new Map<string, Buffer>();
  private bytesSince = performance.now();
  /** Per parsed document (the socket layer shares one per query text): a short id, and whether it depends on the viewer. */
  private readonly documents = new WeakMap<
    DocumentNode,
    { id: number; viewerDependent: boolean }
  >();
  private nextDocument = 1;
  private nextMarker = 1;
  /** Results serialized for a cohort, and messages that carried such bytes (tests, benchmarks). */
  serialized = 0;
  expanded = 0;

  constructor(private readonly buildContext: (auth: Auth | null) => Context) {}

  /** graphql-ws's `subscribe`: graphql-js' source stream, each event executed once per cohort. */
  async subscribe(
    args: ExecutionArgs,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    const cohort = this.cohortOf(args);
    const auth = (args.contextValue as Context).auth;
    return new CohortStream(source[Symbol.asyncIterator](), (event) =>
      event.done ? DONE : this.executeShared(event.value, cohort, args, auth),
    );
  }

  /**
   * Splits an outgoing message carrying a shared result's marker around the result's bytes:
   * the socket sends its own head and tail and the bytes every member of the cohort sends.
   */
  expand(message: string): string | SharedMessage {
    const start = message.indexOf(MARKER_PREFIX);
    if (start < 0) return message;
    const end = message.indexOf(MARKER_SUFFIX, start + MARKER_PREFIX.length);
    const marker = message.slice(start, end + MARKER_SUFFIX.length);
    const body = this.bytes.get(marker) ?? this.olderBytes.get(marker);
    if (body === undefined) return message;
    this.expanded += 1;
    // The marker stands in the message as a JSON string: quotes included.
    return {
      head: message.slice(0, start - 1),
      body,
      tail: message.slice(end + MARKER_SUFFIX.length + 1),
    };
  }

  private cohortOf(args: ExecutionArgs): string {
    let document = this.documents.get(args.document);
    if (!document) {
      document = {
        id: this.nextDocument++,
        viewerDependent: dependsOnViewer(args.schema, args.document),
      };
      this.documents.set(args.document, document);
    }
    const auth = (args.contextValue as Context).auth;
    const scope = `${auth?.organizationId}:${auth?.role}:${document.viewerDependent ? auth?.staffId : ''}`;
    return `${scope}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}|${document.id}`;
  }

  /**
   * Live events reach every local subscriber of a stream as one object, so the object is the
   * event's identity here; snapshots and replays are objects of their own and run alone. Every
   * member after the first gets the cohort's answer as it is, once it is there.
   */
  private executeShared(
    event: unknown,
    cohort: string,
    args: ExecutionArgs,
    auth: Auth | null,
  ): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> {
    if (typeof event !== 'object' || event === null) {
      return this.run(event, args, auth).then((value) => ({ value, done: false }));
    }
    let byCohort = this.results.get(event);
    if (!byCohort) this.results.set(event, (byCohort = new Map()));
    const known = byCohort.get(cohort);
    if (known) return known.settled ?? known.promise;
    const result: CohortResult = {
      promise: this.run(event, args, auth).then((executed) => {
        result.settled = { value: this.share(executed), done: false };
        return result.settled;
      }),
    };
    byCohort.set(cohort, result);
    return result.promise;
  }

  /** One execution with loaders of its own, as the cohort's first member would see it. */
  private async run(
    event: unknown,
    args: ExecutionArgs,
    auth: Auth | null,
  ): Promise<ExecutionResult> {
    return execute({ ...args, rootValue: event, contextValue: this.buildContext(auth) });
  }

  /**
   * Results without errors are serialized once and stand in each socket's message as a marker;
   * results with errors take the per-socket path (their errors are formatted per socket). The
   * marker is the result's `toJSON`, which is not enumerable: a copy of the result (graphql-ws
   * sends `{ ...result }` unless its `onNext` hook answers an object) serializes it in full. So
   * does a message sent once its bytes are forgotten: `toJSON` answers the marker only while
   * `expand` can find it, and it is asked for as the message is sent.
   */
  private share(result: ExecutionResult): ExecutionResult {
    if (result.errors?.length) return result;
    const marker = `${MARKER_PREFIX}${this.nextMarker++}${MARKER_SUFFIX}`;
    const now = performance.now();
    if (now - this.bytesSince >= SHARED_BYTES_MS) {
      this.olderBytes = this.bytes;
      this.bytes = new Map();
      this.bytesSince = now;
    }
    this.bytes.set(marker, Buffer.from(JSON.stringify(result)));
    this.serialized += 1;
    const plain = { ...result };
    return Object.defineProperty({ ...result }, 'toJSON', {
      value: () => (this.bytes.has(marker) || this.olderBytes.has(marker) ? marker : plain),
    }) as ExecutionResult;
  }
}

/**
 * A subscriber's stream of results: its source's events, each answered by the cohort's execution.
 * Its methods live on the prototype, and `deliver` is made once per subscription: a delivery
 * allocates one `then` here, and a console's subscriptions hold no closure per method.
 */
class CohortStream implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly deliver: (
      event: IteratorResult<unknown>,
    ) => IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>>,
  ) {}

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then(this.deliver);
  }

  return(value?: unknown): Promise<IteratorResult<ExecutionResult>> {
    return (this.source.return?.(value) ?? Promise.resolve({ value, done: true })) as Promise<
      IteratorResult<ExecutionResult>
    >;
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    return (this.source.throw?.(error) ?? Promise.reject(error)) as Promise<
      IteratorResult<ExecutionResult>
    >;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}
