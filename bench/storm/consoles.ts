/**
 * Consoles on raw sockets speaking graphql-transport-ws (lighter than a graphql-ws client each,
 * so that thousands fit in the benchmark's process): each is one window with a console's usual
 * subscriptions (its inbox's locks and conversations, its assignments), checks the lock stream's
 * sequence against its snapshots, and on a reconnection names its window (`sessionId`).
 */
import WebSocket from 'ws';

const LOCKS = `subscription($inboxId: ID!) { ticketLockEvents(inboxId: $inboxId) { seq kind at conversationId } }`;
const CONVERSATIONS = `subscription($inboxId: ID!, $after: Int) { conversationEvents(inboxId: $inboxId, after: $after) { seq kind } }`;
const ASSIGNMENTS = `subscription($after: Int) { myAssignments(after: $after) { seq kind } }`;

export interface LockReceipt {
  seq: number;
  /** The event's `at` (its commit, ms since the epoch) and when this console got it. */
  at: number;
  receivedAt: number;
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
  connect(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
      this.socket = socket;
      let synced = false;
      socket.on('unexpected-response', (_request, response) => {
        this.refusedWith = response.statusCode;
        socket.terminate();
        reject(new Error(`refused with HTTP ${response.statusCode}`));
      });
      socket.on('error', (error) => {
        if (!synced) reject(error);
      });
      socket.on('close', (code) => {
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
          this.gaps += 0; // a refused subscription: counted by the benchmark through lockSeq
        }
      });
    });
  }

  private subscribe(id: string, query: string, variables: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  close(): void {
    this.socket?.terminate();
  }
}
