import { CoWorkingLocks1795556027936 } from './1795556027936-co-working-locks';
import { EventsLoggedAtCommit1795560000000 } from './1795560000000-events-logged-at-commit';
import { Helpers1795557694566 } from './1795557694566-helpers';
import { Initial1795553834378 } from './1795553834378-initial';
import { LockEventsSequencedAfterCommit1795560500000 } from './1795560500000-lock-events-sequenced-after-commit';
import { LockOperationsFlattened1795560600000 } from './1795560600000-lock-operations-flattened';
import { OpenCountPerMember1795560300000 } from './1795560300000-open-count-per-member';
import { RouteQueue1795560200000 } from './1795560200000-route-queue';
import { RouteQueuePlanned1795560400000 } from './1795560400000-route-queue-planned';
import { Routing1795558393636 } from './1795558393636-routing';
import { RoutingClaimRanked1795560100000 } from './1795560100000-routing-claim-ranked';
import { SignInPerAddress1796191000196 } from './1796191000196-sign-in-per-address';

/** Every migration, in order. Listed by hand so that no glob decides what runs in production. */
export const MIGRATIONS: Function[] = [
  Initial1795553834378,
  CoWorkingLocks1795556027936,
  Helpers1795557694566,
  Routing1795558393636,
  EventsLoggedAtCommit1795560000000,
  RoutingClaimRanked1795560100000,
  RouteQueue1795560200000,
  OpenCountPerMember1795560300000,
  RouteQueuePlanned1795560400000,
  LockEventsSequencedAfterCommit1795560500000,
  LockOperationsFlattened1795560600000,
  SignInPerAddress1796191000196,
];
