import { newOrg, type Org } from './factories';
import { startTwoInstances, type TestServer } from './server';

export interface TwoInstancesWithOrg {
  a: TestServer;
  b: TestServer;
  /** Created on instance `a`; both instances see it (one database). */
  org: Org;
}

/**
 * For the enclosing describe block: two instances sharing one Postgres and one Redis (as behind
 * a load balancer) and an organization, started before its tests and stopped after them. They
 * are handed to `receive` once started, for the block's own variables:
 * `useTwoInstancesWithOrg((started) => ({ a, b, org } = started));`
 */
export function useTwoInstancesWithOrg(receive: (started: TwoInstancesWithOrg) => void): void {
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const cluster = await startTwoInstances();
    stop = cluster.stop;
    receive({ a: cluster.a, b: cluster.b, org: await newOrg(cluster.a) });
  });
  afterAll(() => stop?.());
}
