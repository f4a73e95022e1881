import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { coalesceWrites } from '../../src/http/socket-writes';

const WRITES = { rewrite: (data: string) => data, maxBufferedBytes: 1 << 20, onCutOff: () => {} };

describe('coalesced socket writes (the adapter over ws’s private socket)', () => {
  let server: WebSocketServer;
  let url: string;

  beforeEach(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails loudly when ws no longer keeps its net.Socket where the adapter looks', () => {
    expect(() => coalesceWrites({ send: () => undefined } as unknown as WebSocket, WRITES)).toThrow(
      /ws no longer keeps its net.Socket/,
    );
  });

  it('sends the messages of one tick in one write to the socket, each rewritten, in order', async () => {
    const client = new WebSocket(url);
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        received.push(String(data));
        if (received.length === 3) resolve();
      }),
    );
    const serverSide = await new Promise<WebSocket>((resolve) =>
      server.once('connection', (ws) => resolve(ws)),
    );
    await new Promise((resolve) => client.once('open', resolve));

    coalesceWrites(serverSide, {
      ...WRITES,
      rewrite: (data) => data.replace('@marker', 'shared bytes'),
    });
    const socket = (serverSide as unknown as { _socket: Socket })._socket;
    const writes: string[] = [];
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method]?.bind(socket) as ((...args: unknown[]) => void) | undefined;
      (socket as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        writes.push(method);
        original?.(...args);
      };
    }
    serverSide.send('one');
    serverSide.send('two @marker');
    expect(socket.writableCorked).toBe(1);
    serverSide.send('three');
    await all;

    expect(received).toEqual(['one', 'two shared bytes', 'three']);
    expect(writes).toEqual(['_writev']);
    expect(socket.writableCorked).toBe(0);
    client.close();
  });

  it('sends a message around shared bytes as one text frame, the bytes not copied, between the others in order', async () => {
    const client = new WebSocket(url);
    const received: Array<{ text: string; binary: boolean }> = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data, binary) => {
        received.push({ text: String(data), binary });
        if (received.length === 4) resolve();
      }),
    );
    const serverSide = await new Promise<WebSocket>((resolve) =>
      server.once('connection', (ws) => resolve(ws)),
    );
    await new Promise((resolve) => client.once('open', resolve));
    // Frame lengths of each size class: 7-bit, 16-bit and 64-bit, and text beyond ASCII.
    const bodies = [
      Buffer.from('{"data":"é"}'),
      Buffer.from(`{"data":"${'x'.repeat(300)}"}`),
      Buffer.from(`{"data":"${'y'.repeat(70_000)}"}`),
    ];
    coalesceWrites(serverSide, {
      ...WRITES,
      rewrite: (data) =>
        data.startsWith('shared')
          ? { head: '{"id":"ü","payload":', body: bodies[Number(data.slice(-1))]!, tail: '}' }
          : data,
    });
    const socket = (serverSide as unknown as { _socket: Socket })._socket;
    const written: unknown[] = [];
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    (socket as unknown as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
      written.push(chunk);
      return write(chunk, ...rest);
    };
    const sent = new Promise<void>((resolve, reject) =>
      serverSide.send('shared 2', (error) => (error ? reject(error) : resolve())),
    );
    serverSide.send('shared 0');
    serverSide.send('plain');
    serverSide.send('shared 1');
    await sent;
    await all;

    const message = (body: Buffer) => ({
      text: `{"id":"ü","payload":${body.toString()}}`,
      binary: false,
    });
    expect(received).toEqual([
      message(bodies[2]!),
      message(bodies[0]!),
      { text: 'plain', binary: false },
      message(bodies[1]!),
    ]);
    for (const body of bodies) expect(written).toContain(body); // the very buffer
    client.close();
  });

  it("writes a fan-out's message at once: a tick's first shared message waits for nothing", async () => {
    const client = new WebSocket(url);
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        received.push(String(data));
        if (received.length === 3) resolve();
      }),
    );
    const serverSide = await new Promise<WebSocket>((resolve) =>
      server.once('connection', (ws) => resolve(ws)),
    );
    await new Promise((resolve) => client.once('open', resolve));
    coalesceWrites(serverSide, {
      ...WRITES,
      rewrite: (data) =>
        data === 'event'
          ? { head: '{"id":"1","payload":', body: Buffer.from('{"data":1}'), tail: '}' }
          : data,
    });
    const socket = (serverSide as unknown as { _socket: Socket })._socket;
    const writes: string[] = [];
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method]?.bind(socket) as ((...args: unknown[]) => void) | undefined;
      (socket as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        writes.push(method);
        original?.(...args);
      };
    }
    serverSide.send('event');
    // Written before the tick ends, its three parts in one write.
    expect(writes).toEqual(['_writev']);
    expect(socket.writableCorked).toBe(0);
    // What follows in the same tick is coalesced as before.
    serverSide.send('two');
    serverSide.send('three');
    expect(socket.writableCorked).toBe(1);
    await all;
    expect(received).toEqual(['{"id":"1","payload":{"data":1}}', 'two', 'three']);
    expect(writes).toEqual(['_writev', '_writev']);
    client.close();
  });
});
