/**
 * The playground's fetcher (runs in the browser, inlined into the page by playground.ts).
 * GraphiQL's renderer takes connection params only as static options, so the token set in the
 * Headers tab would never reach the WebSocket: this fetcher sends queries and mutations over
 * HTTP with the tab's headers, and each subscription over its own graphql-ws socket whose
 * connection_init carries the tab's Authorization. A refused socket (4401, 4403, ...) shows as a
 * readable GraphQL error instead of the raw close event. Plain ES2020, no imports: the page
 * loads nothing from outside the server.
 */
export const PLAYGROUND_FETCHER_SCRIPT = String.raw`
(function () {
  const endpoint = new URL('/graphql', location.href).href;
  const socketUrl = endpoint.replace(/^http/, 'ws');

  function header(headers, name) {
    for (const key of Object.keys(headers || {})) {
      if (key.toLowerCase() === name) return headers[key];
    }
    return undefined;
  }

  /** query, mutation or subscription: the named operation's, else the document's first. */
  function operationType(query, operationName) {
    const text = String(query || '')
      .replace(/"""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"/g, '""')
      .replace(/#[^\n]*/g, '');
    const definition = /(^|[}\s])(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
    let match;
    let first;
    while ((match = definition.exec(text))) {
      first = first || match[2];
      if (!operationName || match[3] === operationName) return match[2];
    }
    return first || 'query';
  }

  const CLOSE_HINTS = {
    4401: 'set the Headers tab to {"Authorization": "Bearer <token>"} (the signIn mutation gives a token)',
    4403: 'this sign-in may not do that (or a supervisor disconnected it): sign in again',
    1013: 'the server is busy or its database is away: try again shortly',
    1008: 'too many refused operations on one connection',
  };

  function describeClose(event) {
    const hint = CLOSE_HINTS[event.code];
    return (
      'The server closed the subscription connection (' +
      event.code +
      (event.reason ? ': ' + event.reason : '') +
      ')' +
      (hint ? ' — ' + hint : '')
    );
  }

  async function overHttp(params, headers) {
    const response = await fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: Object.assign(
        {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
        },
        headers,
      ),
      body: JSON.stringify(params),
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: 'HTTP ' + response.status + ': ' + text.slice(0, 300) }] };
    }
  }

  async function* overWebSocket(params, headers) {
    const authorization = header(headers, 'authorization');
    const socket = new WebSocket(socketUrl, 'graphql-transport-ws');
    const queue = [];
    let wake;
    const push = (item) => {
      queue.push(item);
      if (wake) wake();
      wake = undefined;
    };
    socket.onopen = () =>
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: authorization ? { authorization: authorization } : {},
        }),
      );
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: params }));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'next') {
        push({ value: message.payload });
      } else if (message.type === 'error') {
        push({ value: { errors: message.payload }, last: true });
      } else if (message.type === 'complete') {
        push({ last: true });
      }
    };
    socket.onclose = (event) =>
      push({
        value: event.code === 1000 ? undefined : { errors: [{ message: describeClose(event) }] },
        last: true,
      });
    try {
      for (;;) {
        if (queue.length === 0) await new Promise((resolve) => (wake = resolve));
        const item = queue.shift();
        if (item.value !== undefined) yield item.value;
        if (item.last) return;
      }
    } finally {
      if (socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ id: '1', type: 'complete' }));
        socket.close(1000, 'done');
      } else if (socket.readyState === WebSocket.CONNECTING) {
        socket.close();
      }
    }
  }

  window.tandemFetcher = function (params, options) {
    const headers = (options && options.headers) || {};
    return operationType(params.query, params.operationName) === 'subscription'
      ? overWebSocket(params, headers)
      : overHttp(params, headers);
  };
})();
`;
