import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

/** The HTTP baseline: a bare Apollo Server 5 (`startStandaloneServer`, defaults) answering `{ hello }`. */
export async function startBareApollo(): Promise<{ url: string; stop: () => Promise<void> }> {
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'world' } },
  });
  const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => apollo.stop() };
}
