import type { ApolloServerPlugin } from '@apollo/server';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { PLAYGROUND_FETCHER_SCRIPT } from './playground-fetcher';

const DEFAULT_QUERY = `# Welcome to Tandem.
# 1. Run SignIn below (the first start printed the ADMIN's password), copy the token.
# 2. Open "Headers" (bottom) and set: { "Authorization": "Bearer <token>" }
#    It is sent with queries and mutations, and with subscriptions (over the WebSocket).
# 3. Try \`query { me { name role } }\`, or subscribe, e.g.
#    subscription { ticketLockEvents(inboxId: "<an inbox id from query { inboxes { id name } }>") {
#      seq kind conversationId lock { holder { name } } } }
#    and watch events arrive as other clients act.

mutation SignIn {
  signIn(input: { email: "admin@tandem.local", password: "..." }) {
    token
    staff { name role }
  }
}
`;

/** Where render-graphiql's page starts GraphiQL with its (JSON-only) options. */
const RENDER_CALL = 'YogaGraphiQL.renderYogaGraphiQL(';

/**
 * The GraphiQL page (every asset inlined), with our fetcher (playground-fetcher.ts) passed to
 * the renderer: its options are JSON, so a function can only be added in the page itself. The
 * page's shape is render-graphiql's; a change that drops the call fails here, loudly, at the
 * first request (and the playground tests).
 */
export function renderPlayground(): string {
  const options = {
    title: 'Tandem playground',
    endpoint: '/graphql',
    defaultQuery: DEFAULT_QUERY,
    shouldPersistHeaders: true,
  };
  const page = renderGraphiQL(options);
  const json = JSON.stringify(options);
  const call = page.lastIndexOf(RENDER_CALL);
  const at = call < 0 ? -1 : page.indexOf(json, call);
  if (at < 0) {
    throw new Error(
      '@graphql-yoga/render-graphiql changed its page: the playground fetcher cannot be added',
    );
  }
  return (
    page.slice(0, call) +
    PLAYGROUND_FETCHER_SCRIPT +
    page.slice(call, at) +
    `Object.assign(${json}, { fetcher: window.tandemFetcher })` +
    page.slice(at + json.length)
  );
}

let page: string | undefined;

/**
 * GET /graphql in a browser: GraphiQL with every asset inlined (about 9 MB, rendered once), so
 * the playground works with no internet. Queries go over HTTP, subscriptions over graphql-ws,
 * both with the token of the Headers tab.
 */
export function playgroundPlugin(): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          page ??= renderPlayground();
          return { html: page };
        },
      };
    },
  };
}
