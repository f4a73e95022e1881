/** The GraphQL-over-HTTP client moved to bench/support/graphql-http.ts, shared by every benchmark. */
export * from '../support/graphql-http';
