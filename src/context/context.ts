import type { ContainerType } from 'type-graphql';
import type { Services } from '../services';
import type { Auth } from './auth';
import type { Loaders } from './loaders';

/** What every resolver receives, over HTTP and over WebSocket alike. */
export interface Context {
  auth: Auth | null;
  loaders: Loaders;
  /** For subscription `subscribe` functions, which run outside a resolver instance. */
  services: Services;
  /** Resolves resolver classes to this server instance's instances (type-graphql container). */
  container: ContainerType;
}
