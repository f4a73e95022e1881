import type { ContainerType } from 'type-graphql';
import type { DataSource } from 'typeorm';
import type { Auth } from '../context/auth';
import type { Context } from '../context/context';
import { Loaders } from '../context/loaders';
import type { Services } from '../services';
import type { RequestRecord } from './request-id';

/**
 * A request's context. Over HTTP its caller is looked up only once the document has passed the
 * limits (so a refused document costs no query), which is why `auth` is settable. Loaders are
 * made on first use, after that: a subscription's own context (one per subscription of every
 * console) mostly never loads anything, since its events run in a cohort's context. Members live
 * on the prototype, so Apollo's copy of the context (`Object.assign`) keeps them lazy.
 */
export class RequestContext implements Context<Services> {
  private madeLoaders: Loaders | undefined;

  constructor(
    public auth: Auth | null,
    readonly services: Services,
    readonly container: ContainerType,
    private readonly dataSource: DataSource,
    readonly clientAddress: string | null = null,
    /** Over HTTP: the request's record, which its log line and metrics read once it is answered. */
    readonly request: RequestRecord | undefined = undefined,
  ) {}

  get loaders(): Loaders {
    return (this.madeLoaders ??= new Loaders(this.dataSource, this.auth, this.services.access));
  }
}
