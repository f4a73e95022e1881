import { Socket } from 'node:net';
import type WebSocket from 'ws';

export interface SocketWrites {
  /** Each text message as it is sent (SharedExecution swaps a marker for a cohort's bytes). */
  rewrite: (data: string) => string;
  /**
   * What may still be buffered at a tick's first message: what the client left unread (the
   * kernel's buffer is full). Past it the client is cut off instead of growing our memory; the
   * send then fails at once, ending the operations that wait on it.
   */
  maxBufferedBytes: number;
  onCutOff: (bufferedBytes: number) => void;
}

/**
 * Makes the messages a WebSocket is sent in one tick (an operation's `next` and `complete`, a
 * burst of events) leave in one write, each passed through `rewrite` first, and cuts off a
 * client that leaves too much unread. A socket write costs far more than building a message on
 * this hardware.
 *
 * `ws` keeps its TCP socket private (`_socket`); this adapter is the one place that reaches it,
 * and fails loudly when an upgrade of `ws` changes what it relies on: the socket is there, is a
 * `net.Socket` that can cork, and `send` writes through it (test/unit/socket-writes.spec.ts).
 */
export function coalesceWrites(ws: WebSocket, writes: SocketWrites): void {
  const socket = (ws as unknown as { _socket?: unknown })._socket;
  if (!(socket instanceof Socket)) {
    throw new Error(
      'ws no longer keeps its net.Socket as WebSocket._socket: src/http/socket-writes.ts must follow the upgrade',
    );
  }
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  ws.send = ((data: unknown, ...rest: unknown[]) => {
    if (!corked) {
      if (ws.bufferedAmount > writes.maxBufferedBytes) {
        writes.onCutOff(ws.bufferedAmount);
        ws.terminate();
      }
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    send(typeof data === 'string' ? writes.rewrite(data) : data, ...rest);
  }) as typeof ws.send;
}
