/**
 * Consoles on raw sockets speaking graphql-transport-ws (lighter than a graphql-ws client each,
 * so that thousands fit in the benchmark's process): each is one window with a console's usual
 * subscriptions (its inbox's locks and conversations, its assignments), checks the lock stream's
 * sequence against its snapshots, and on a reconnection names its window (`sessionId`).
 */
import WebSocket from 'ws';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LOCKS = `subscription($inboxId: ID!) { ticketLockEvents(inboxId: $inboxId) { seq kind at conversationId } }`;
const CONVERSATIONS = `subscription($inboxId: ID!, $after: Int) { conversationEvents(inboxId: $inboxId, after: $after) { seq kind } }`;
const ASSIGNMENTS = `subscription($after: Int) { myAssignments(after: $after) { seq kind } }`;

export interface LockReceipt {
  seq: number;
  /** The event's `at` (its commit, ms since the epoch) and when this console got it. */
  at: number;
  receivedAt: number;
}

/**
 * How long a console waits before its next attempt, as the README tells clients (Deploying):
 * a random wait between 0 and min(cap, base · 2^attempt), "full jitter", base 100 ms, cap 2 s
 * after a lost or handed-over connection and 30 s after 1013 (try again later).
 */
export function reconnectDelay(attempt: number, closeCode: number | undefined): number {
  const cap = closeCode === 1013 ? 30_000 : 2_000;
  return Math.random() * Math.min(cap, 100 * 2 ** Math.min(attempt, 16));
}

export class RawConsole {
  sessionId: string | undefined;
  resumed = false;
  lockSeq: number | undefined;
  conversationSeq: number | null = null;
  assignmentSeq: number | null = null;
  gaps = 0;
  closedWith: number | undefined;
  refusedWith: number | undefined;
  /** Set while measuring fan-out. */
  receipts: LockReceipt[] | undefined;
  private socket: WebSocket | undefined;
  /** How far the current attempt got (for the reasons of failed attempts). */
  private progress = '';

  /** Resolves when the current socket closes (its instance died, say). */
  closed(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  constructor(
    private readonly token: string,
    private readonly inboxId: string,
  ) {}

  /**
   * Connects, authenticates (naming its window when it had one) and subscribes; resolves when
   * the lock SNAPSHOT arrived (resynchronized), rejects when the socket is refused or closes.
   */
  connect(url: string, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
      this.socket = socket;
      let synced = false;
      // A client gives up on an attempt that goes nowhere (and tries again).
      const timer = setTimeout(() => {
        if (synced) return;
        reject(new Error(`no lock SNAPSHOT within ${timeoutMs / 1000} s (${this.progress})`));
        socket.terminate();
      }, timeoutMs);
      this.progress = 'connecting';
      socket.on('open', () => (this.progress = 'open'));
      socket.on('unexpected-response', (_request, response) => {
        this.refusedWith = response.statusCode;
        socket.terminate();
        reject(new Error(`refused with HTTP ${response.statusCode}`));
      });
      socket.on('error', (error) => {
        if (!synced) reject(error);
      });
      socket.on('close', (code) => {
        clearTimeout(timer);
        this.closedWith = code;
        if (!synced) reject(Object.assign(new Error(`closed ${code}`), { code }));
      });
      socket.on('open', () => {
        socket.send(
          JSON.stringify({
            type: 'connection_init',
            payload: {
              authorization: `Bearer ${this.token}`,
              ...(this.sessionId ? { sessionId: this.sessionId } : {}),
            },
          }),
        );
      });
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as {
          type: string;
          id?: string;
          payload?: Record<string, unknown>;
        };
        if (message.type === 'connection_ack') {
          this.progress = 'acknowledged';
          const ack = message.payload as { sessionId: string; resumed: boolean };
          this.resumed = this.sessionId !== undefined && ack.resumed;
          this.sessionId = ack.sessionId;
          this.subscribe('l', LOCKS, { inboxId: this.inboxId });
          this.subscribe('c', CONVERSATIONS, {
            inboxId: this.inboxId,
            after: this.conversationSeq,
          });
          this.subscribe('a', ASSIGNMENTS, { after: this.assignmentSeq });
        } else if (message.type === 'ping') {
          socket.send('{"type":"pong"}');
        } else if (message.type === 'next') {
          const data = (
            message.payload as { data?: Record<string, { seq: number; kind: string; at?: string }> }
          ).data;
          if (message.id === 'l' && data?.ticketLockEvents) {
            const event = data.ticketLockEvents;
            if (event.kind === 'SNAPSHOT') {
              if (this.lockSeq === undefined || event.seq > this.lockSeq) this.lockSeq = event.seq;
              if (!synced) {
                synced = true;
                clearTimeout(timer);
                resolve();
              }
            } else if (this.lockSeq === undefined || event.seq > this.lockSeq) {
              if (this.lockSeq !== undefined && event.seq !== this.lockSeq + 1) this.gaps++;
              this.lockSeq = event.seq;
              this.receipts?.push({
                seq: event.seq,
                at: Date.parse(event.at as string),
                receivedAt: Date.now(),
              });
            }
          } else if (message.id === 'c' && data?.conversationEvents) {
            this.conversationSeq = data.conversationEvents.seq;
          } else if (message.id === 'a' && data?.myAssignments) {
            this.assignmentSeq = data.myAssignments.seq;
          }
        } else if (message.type === 'error') {
          // A refused subscription: this console cannot resynchronize; the attempt failed.
          const [error] = (message.payload ?? []) as unknown as Array<{
            message: string;
            extensions?: { code?: string };
          }>;
          socket.terminate();
          if (!synced) {
            reject(
              new Error(`${message.id} refused: ${error?.extensions?.code} ${error?.message}`),
            );
          }
        }
      });
    });
  }

  /**
   * Reconnects after its socket closed, as the README tells clients: backoff with full jitter
   * from the first attempt, until resynchronized or `deadline` (ms since the epoch). Failed
   * attempts are counted by reason in `failures`.
   */
  async reconnect(url: string, deadline: number, failures: Map<string, number>): Promise<boolean> {
    await this.closed();
    let lastCode = this.closedWith;
    for (let attempt = 0; ; attempt++) {
      await pause(reconnectDelay(attempt, lastCode));
      if (Date.now() > deadline) return false;
      try {
        await this.connect(url);
        return true;
      } catch (error) {
        lastCode = (error as { code?: number }).code;
        const reason = (error as Error).message.replace(/\d+\.\d+\.\d+\.\d+:\d+/, 'ADDR');
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
    }
  }

  private subscribe(id: string, query: string, variables: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  close(): void {
    this.socket?.terminate();
  }
}
