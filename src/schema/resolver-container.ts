import type { ContainerType } from 'type-graphql';
import type { Services } from '../services';

/**
 * type-graphql's container for one server instance: a resolver is built once, its constructor
 * parameters (service classes, read from decorator metadata) taken from this instance's services.
 */
export class ResolverContainer implements ContainerType {
  private readonly services: Map<Function, unknown>;
  private readonly resolvers = new Map<Function, unknown>();

  constructor(services: Services) {
    this.services = new Map(
      Object.values(services).map((service) => [service.constructor, service]),
    );
  }

  get(resolverClass: new (...args: unknown[]) => unknown): unknown {
    let resolver = this.resolvers.get(resolverClass);
    if (!resolver) {
      const parameters = (Reflect.getMetadata('design:paramtypes', resolverClass) ??
        []) as Function[];
      resolver = new resolverClass(
        ...parameters.map((type) => {
          const service = this.services.get(type);
          if (!service)
            throw new Error(`${resolverClass.name} needs ${type?.name}, which is not a service`);
          return service;
        }),
      );
      this.resolvers.set(resolverClass, resolver);
    }
    return resolver;
  }
}
