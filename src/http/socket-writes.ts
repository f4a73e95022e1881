import { Socket } from 'node:net';
import type WebSocket from 'ws';

/**
 * A text message whose middle is bytes many sockets send (a cohort's serialized result): they
 * go out as they are, the same buffer for every socket, instead of a copy of the whole message
 * per socket.
 */
export interface SharedMessage {
  head: string;
  body: Buffer;
  tail: string;
}

export interface SocketWrites {
  /** Each text message as it is sent (SharedExecution swaps a marker for a cohort's bytes). */
  rewrite: (data: string) => string | SharedMessage;
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
 * this hardware. A shared message that is the tick's first for its socket (an event fanned out
 * to a cohort) is written at once instead: it has no companion to wait for.
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
  // Negotiated at the handshake: a compressed socket's frames are ws's to make.
  const plainFrames = ws.extensions === '';
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  ws.send = ((data: unknown, ...rest: unknown[]) => {
    const message = typeof data === 'string' ? writes.rewrite(data) : data;
    const done = rest.find(
      (arg): arg is (error?: Error | null) => void => typeof arg === 'function',
    );
    if (!corked) {
      if (ws.bufferedAmount > writes.maxBufferedBytes) {
        writes.onCutOff(ws.bufferedAmount);
        ws.terminate();
      }
      // A fan-out's message (a cohort's shared bytes, the tick's first for this socket) leaves
      // at once, in one write: held until the tick ends, every socket's message waited for all
      // the others to be made, and the clients (another core) for the last of them.
      if (isShared(message) && plainFrames && ws.readyState === ws.OPEN) {
        socket.cork();
        writeFrame(socket, message, done);
        socket.uncork();
        return;
      }
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    if (!isShared(message)) return send(message, ...rest);
    if (plainFrames && ws.readyState === ws.OPEN) writeFrame(socket, message, done);
    else send(`${message.head}${message.body.toString()}${message.tail}`, ...rest);
  }) as typeof ws.send;
}

const isShared = (message: unknown): message is SharedMessage =>
  typeof message === 'object' && message !== null && 'body' in message && 'head' in message;

/**
 * One unmasked, uncompressed text frame (RFC 6455 5.2: a server's frames are not masked), as
 * ws's Sender makes it, written in parts: this socket's head (its operation id) with the
 * frame's header, the shared body, the tail. Written between ws's own frames, which it writes
 * at once: without compression its Sender never holds a frame back.
 */
function writeFrame(
  socket: Socket,
  message: SharedMessage,
  done?: (error?: Error | null) => void,
): void {
  const headBytes = Buffer.byteLength(message.head);
  const length = headBytes + message.body.length + Buffer.byteLength(message.tail);
  const headerBytes = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const head = Buffer.allocUnsafe(headerBytes + headBytes);
  head[0] = 0x81; // FIN, text
  if (headerBytes === 2) head[1] = length;
  else if (headerBytes === 4) {
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    head.writeUInt32BE(length >>> 0, 6);
  }
  head.write(message.head, headerBytes, 'utf8');
  socket.write(head);
  socket.write(message.body);
  socket.write(message.tail, done);
}
