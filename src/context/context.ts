import type { ContainerType } from 'type-graphql';
import type { Services } from '../services';
import type { Auth } from './auth';
import type { Loaders } from './loaders';

/** What every resolver receives, over HTTP and over WebSocket alike. */
export interface Context {
  auth: Auth | null;
  /**
   * The client's address (the socket's, or the one the trusted proxies forwarded: TRUST_PROXY);
   * null for work not done for a request (a subscription event).
   */
  clientAddress: string | null;
  loaders: Loaders;
  /** For subscription `subscribe` functions, which run outside a resolver instance. */
  services: Services;
  /** Resolves resolver classes to this server instance's instances (type-graphql container). */
  container: ContainerType;
}
