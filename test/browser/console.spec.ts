import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { OpenTicketDocument } from '../generated/graphql';
import {
  newAgent,
  newConversation,
  newInbox,
  newOrg,
  PASSWORD,
  type Member,
  type Org,
} from '../support/factories';
import { startTestServer, type TestServer } from '../support/server';
import { openWindow } from '../support/windows';
import { launchChromium, serveSite, type HeadlessChromium } from './chromium';

const GRAPHQL_WS = readFileSync(
  path.join(__dirname, '../../node_modules/graphql-ws/umd/graphql-ws.min.js'),
);

/**
 * A console as a frontend team writes one: signs in over HTTP (cross-origin), opens one
 * graphql-ws socket with the token, subscribes to the inbox's lock events, and opens a ticket
 * over the same socket (the README's recipe). What it saw is left in `window.seen`.
 */
const CONSOLE_PAGE = `<!doctype html><html><head><script src="/graphql-ws.js"></script></head><body><script>
window.seen = { events: [], errors: [] };
window.runConsole = async (api, email, password, inboxId, conversationId) => {
  try {
    const signedIn = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: SignInInput!) { signIn(input: $input) { token } }',
        variables: { input: { email, password } },
      }),
    }).then((r) => r.json());
    const token = signedIn.data.signIn.token;
    window.seen.token = token;
    const client = graphqlWs.createClient({
      url: api.replace(/^http/, 'ws'),
      connectionParams: { authorization: 'Bearer ' + token },
      retryAttempts: 0,
      on: { closed: (event) => window.seen.errors.push('closed ' + event.code + ' ' + event.reason) },
    });
    client.subscribe(
      { query: 'subscription ($inboxId: ID!) { ticketLockEvents(inboxId: $inboxId) { seq kind conversationId lock { holder { name } } } }', variables: { inboxId } },
      {
        next: (result) => {
          const event = result.data.ticketLockEvents;
          window.seen.events.push(event);
          if (event.kind === 'SNAPSHOT') {
            client.subscribe(
              {
                query: 'mutation ($input: TicketInput!) { openTicket(input: $input) { __typename } }',
                variables: { input: { conversationId } },
              },
              {
                next: (opened) => {
                  if (opened.errors) window.seen.errors.push(JSON.stringify(opened.errors));
                  else window.seen.opened = opened.data.openTicket.__typename;
                },
                error: (error) => window.seen.errors.push('openTicket ' + JSON.stringify(error)),
                complete: () => {},
              },
            );
          }
        },
        error: (error) => window.seen.errors.push('subscription error ' + (error.message || error.code || String(error))),
        complete: () => {},
      },
    );
  } catch (error) {
    window.seen.errors.push('failed: ' + error.message);
  }
};
</script></body></html>`;

describe('consoles in a real browser (headless Chromium)', () => {
  let chromium: HeadlessChromium;
  let server: TestServer;
  let org: Org;
  let agent: Member;
  let allowed: Awaited<ReturnType<typeof serveSite>>;
  let refused: Awaited<ReturnType<typeof serveSite>>;
  const pages: Page[] = [];

  beforeAll(async () => {
    chromium = await launchChromium();
    const site = {
      '/': ['text/html', CONSOLE_PAGE] as [string, string],
      '/graphql-ws.js': ['text/javascript', GRAPHQL_WS] as [string, Buffer],
    };
    [allowed, refused] = await Promise.all([serveSite(site), serveSite(site)]);
    server = await startTestServer({ config: { corsOrigins: [allowed.origin] } });
    org = await newOrg(server);
    agent = await newAgent(org, { name: 'Olga', inboxes: [org.inbox] });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(pages.map((page) => page.close().catch(() => undefined)));
    await chromium?.close();
    await server?.stop();
    await Promise.all([allowed?.close(), refused?.close()]);
  });

  async function newPage(url: string): Promise<Page> {
    const page = await chromium.browser.newPage();
    pages.push(page);
    await page.goto(url, { waitUntil: 'load' });
    return page;
  }

  it('a console on an allowed origin signs in, subscribes over graphql-ws, opens a ticket and sees it LOCKED', async () => {
    const ticket = await newConversation(org, { inbox: org.inbox });
    const page = await newPage(allowed.origin);
    await page.evaluate(
      (api, email, password, inboxId, conversationId) =>
        (window as unknown as { runConsole: (...a: string[]) => Promise<void> }).runConsole(
          api,
          email,
          password,
          inboxId,
          conversationId,
        ),
      server.url,
      agent.staff.email,
      PASSWORD,
      org.inbox.id,
      ticket.id,
    );
    await page
      .waitForFunction(
        (id) =>
          (
            window as unknown as {
              seen: { events: Array<{ kind: string; conversationId: string }> };
            }
          ).seen.events.some((e) => e.kind === 'LOCKED' && e.conversationId === id),
        { timeout: 20_000 },
        ticket.id,
      )
      .catch(async (error: Error) => {
        const seen = await page.evaluate(() => (window as unknown as { seen: unknown }).seen);
        throw new Error(`${error.message}; the page saw ${JSON.stringify(seen)}`);
      });
    const seen = await page.evaluate(() => (window as unknown as { seen: unknown }).seen);
    expect(seen).toMatchObject({
      opened: 'TicketLockAcquired',
      errors: [],
      events: [
        { kind: 'SNAPSHOT' },
        { kind: 'LOCKED', conversationId: ticket.id, lock: { holder: { name: 'Olga' } } },
      ],
    });
  }, 60_000);

  it('the same console on an origin not allowed cannot sign in, nor open a WebSocket', async () => {
    const page = await newPage(refused.origin);
    const outcome = await page.evaluate(async (api) => {
      const signIn = await fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }).then(
        () => 'answered',
        (error: Error) => `refused: ${error.message}`,
      );
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(api.replace(/^http/, 'ws'), 'graphql-transport-ws');
        ws.onopen = () => resolve('opened');
        ws.onclose = (event) => resolve(`closed ${event.code}`);
      });
      return { signIn, socket };
    }, server.url);
    expect(outcome).toEqual({ signIn: 'refused: Failed to fetch', socket: 'closed 1006' });
  }, 60_000);

  /**
   * The playground as a person uses it: the subscription pasted into the query editor, the
   * Headers tab opened and the token typed into it (GraphiQL's Monaco editors, by keyboard).
   * Every request the page makes is recorded: it must load nothing from outside the server.
   */
  async function openPlayground(): Promise<{ page: Page; requests: string[] }> {
    const page = await chromium.browser.newPage();
    pages.push(page);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.setViewport({ width: 1280, height: 800 });
    // About 9 MB of inlined GraphiQL: slow on a busy machine.
    await page.goto(server.url, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 30_000 });
    return { page, requests };
  }

  /** Replaces an editor's text: click into it, select all, then type (or paste) the new text. */
  async function replaceText(
    page: Page,
    editor: string,
    text: string,
    how: 'type' | 'paste',
  ): Promise<void> {
    // In its first line, past the line numbers (the middle of a Monaco editor's lines may be
    // far off-screen, and they scroll sideways).
    await page.click(`${editor} .monaco-editor`, { offset: { x: 100, y: 10 } });
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    // Pasting is one input event (no auto-closed brackets, no completion popup accepting).
    if (how === 'paste') await page.keyboard.sendCharacter(text);
    else await page.keyboard.type(text);
  }

  /** The Headers tab's editor (opened first): a person types their token there. */
  async function typeHeaders(page: Page, headers: string): Promise<void> {
    const tab = await page.waitForSelector('.graphiql-editor-tools button::-p-text(Headers)');
    await tab?.click();
    const editor =
      'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden)';
    await page.waitForSelector(`${editor} .monaco-editor .view-lines`, { visible: true });
    await replaceText(page, editor, headers, 'type');
    await page.keyboard.press('Home'); // back to the start of the line, for the screenshot
    // What the editor holds now, as GraphiQL reads it (Monaco auto-closes quotes and braces).
    await page.waitForFunction(
      (expected) => localStorage.getItem('graphiql:headers') === expected,
      { timeout: 5_000 },
      headers,
    );
  }

  /** A pane's text, its wrapped lines joined (Monaco draws spaces as no-break spaces). */
  const paneText = (page: Page, pane: string) =>
    page.evaluate(
      (selector) =>
        (document.querySelector(selector)?.textContent ?? '').replace(/[\s\u00a0]+/g, ' '),
      pane,
    );
  const responseText = (page: Page) => paneText(page, '.graphiql-response');

  /**
   * Pastes the query, prettifies it (GraphiQL's button) and runs it, once GraphiQL holds the
   * prettified text (prettier loads on first use: on a busy machine a click on Run right after
   * Prettify ran what the editor held before).
   */
  async function run(page: Page, query: string): Promise<void> {
    await replaceText(page, '.graphiql-query-editor', query, 'paste');
    await page.click('button[aria-label^="Prettify"]');
    await page.waitForFunction(
      (expected) => {
        const held = localStorage.getItem('graphiql:query') ?? '';
        return held.includes('\n') && held.replace(/\s+/g, ' ').trim() === expected;
      },
      { timeout: 15_000 },
      query.replace(/\s+/g, ' ').trim(),
    );
    await page.click('.graphiql-execute-button');
  }

  /** Waits until the response pane shows `text`; on a timeout, says what it showed instead. */
  async function responseShows(page: Page, text: string): Promise<void> {
    try {
      await page.waitForFunction(
        (expected) =>
          (document.querySelector('.graphiql-response')?.textContent ?? '').includes(expected),
        { timeout: 30_000 },
        text,
      );
    } catch (error) {
      const held = await page.evaluate(() => localStorage.getItem('graphiql:query'));
      throw new Error(
        `the response pane never showed ${text}: it shows ${JSON.stringify(await responseText(page))}` +
          ` (the query GraphiQL holds: ${JSON.stringify(held)})`,
        { cause: error },
      );
    }
  }

  it('the playground: the token typed in the Headers tab reaches the WebSocket, and a subscription streams an event another client caused', async () => {
    const inbox = await newInbox(org);
    const [watcher, worker] = await Promise.all([
      newAgent(org, { name: 'Pia', inboxes: [inbox] }),
      newAgent(org, { name: 'Rolf', inboxes: [inbox] }),
    ]);
    const ticket = await newConversation(org, { inbox });
    const { page, requests } = await openPlayground();
    // A first visit shows how to sign in and subscribe.
    const welcome = await paneText(page, '.graphiql-query-editor');
    for (const step of [
      'Welcome to Tandem',
      'Run SignIn',
      'Open "Headers"',
      '"Authorization": "Bearer <token>"',
      'subscription { ticketLockEvents(',
    ])
      expect(welcome).toContain(step);
    await typeHeaders(page, `{"Authorization": "Bearer ${watcher.token}"}`);
    await run(
      page,
      `subscription Locks { ticketLockEvents(inboxId: "${inbox.id}") { seq kind conversationId lock { holder { name } } } }`,
    );
    await responseShows(page, 'SNAPSHOT');
    // Another client acts: its window opens the ticket.
    const window = await openWindow(server, worker);
    await window.api.ok(OpenTicketDocument, { input: { conversationId: ticket.id } });
    await responseShows(page, 'LOCKED');
    expect(await responseText(page)).toContain('Rolf');
    const own = new URL(server.url).origin;
    expect(
      requests.filter((url) => !/^(data|blob):/.test(url) && new URL(url).origin !== own),
    ).toEqual([]);
    // The query from its start, for the screenshot (the editor kept the end of the pasted line
    // in view).
    await page.click('.graphiql-query-editor .monaco-editor', { offset: { x: 100, y: 10 } });
    await page.keyboard.down('Control');
    await page.keyboard.press('Home');
    await page.keyboard.up('Control');
    mkdirSync(path.join(__dirname, '../../docs'), { recursive: true });
    await page.screenshot({ path: path.join(__dirname, '../../docs/playground-subscription.png') });
    await window.socket.dispose();
  }, 90_000);

  it.each([
    [
      'a token that is not valid',
      '{"Authorization": "Bearer tdm_not-a-token"}',
      /the token is not valid/,
    ],
    ['no token', '{}', /no token/],
  ])(
    'the playground: a subscription with %s shows why, in words (not the raw close event)',
    async (_case, headers, reason) => {
      const { page } = await openPlayground();
      await typeHeaders(page, headers);
      await run(page, `subscription { ticketLockEvents(inboxId: "${org.inbox.id}") { seq kind } }`);
      await responseShows(page, '4401');
      const shown = await responseText(page);
      expect(shown).toContain('The server closed the subscription connection (4401: Unauthorized');
      expect(shown).toMatch(reason);
      expect(shown).toContain('set the Headers tab to {\\"Authorization\\": \\"Bearer <token>\\"}');
      expect(shown).not.toContain('isTrusted');
      await page.close();
    },
    60_000,
  );
});
