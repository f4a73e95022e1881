import type { ApolloServerPlugin } from '@apollo/server';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

const DEFAULT_QUERY = `# Welcome to Tandem.
# 1. Run signIn below, copy the token.
# 2. Open "Headers" and set: { "Authorization": "Bearer <token>" }
# 3. Try \`query { me { name role } }\`.

mutation SignIn {
  signIn(input: { email: "admin@tandem.local", password: "..." }) {
    token
    staff { name role }
  }
}
`;

let page: string | undefined;

/**
 * GET /graphql in a browser: GraphiQL with every asset inlined (about 9 MB, rendered once), so
 * the playground works with no internet. Queries go over HTTP, subscriptions over graphql-ws.
 */
export function playgroundPlugin(): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          page ??= renderGraphiQL({
            title: 'Tandem playground',
            endpoint: '/graphql',
            subscriptionsProtocol: 'WS',
            defaultQuery: DEFAULT_QUERY,
            shouldPersistHeaders: true,
          });
          return { html: page };
        },
      };
    },
  };
}
