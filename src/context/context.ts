import type { ContainerType } from 'type-graphql';
import type { Auth } from './auth';
import type { Loaders } from './loaders';

/**
 * What every resolver receives, over HTTP and over WebSocket alike. The context layer does not
 * know the services (it sits below them): resolvers read `Context<Services>`.
 */
export interface Context<TServices = unknown> {
  auth: Auth | null;
  /**
   * The client's address (the socket's, or the one the trusted proxies forwarded: TRUST_PROXY);
   * null for work not done for a request (a subscription event).
   */
  clientAddress: string | null;
  loaders: Loaders;
  /** For subscription `subscribe` functions, which run outside a resolver instance. */
  services: TServices;
  /** Resolves resolver classes to this server instance's instances (type-graphql container). */
  container: ContainerType;
}
