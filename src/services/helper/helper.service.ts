import { IsNull } from 'typeorm';
import type { AccessPolicy } from '../../authz/access-policy';
import { Permission, can } from '../../authz/permissions';
import { type ActorRef, type Auth, SYSTEM_ACTOR, actorOf } from '../../context/auth';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import { hydrate } from '../../db/rows';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import type { Conversation } from '../../entities/conversation.entity';
import { Customer } from '../../entities/customer.entity';
import { HelperAssignment, HelperEndReason } from '../../entities/helper-assignment.entity';
import type { Message } from '../../entities/message.entity';
import { BadInputError, ForbiddenError, NotFoundError } from '../../errors/domain-error';
import type { EventHub, StreamSnapshot } from '../../subscriptions/event-hub';
import type { StreamAccessService } from '../session/stream-access.service';
import {
  HelperChangeKind,
  type HelperChangePayload,
  type NotificationKind,
  type NotificationPayload,
} from '../../subscriptions/payloads';
import type { EventEnvelope } from '../../subscriptions/pubsub';
import { snapshotOf } from '../../subscriptions/snapshot';
import { Streams } from '../../subscriptions/topics';
import { activeHelper } from './helper.store';

export interface AddedHelper {
  assignment: HelperAssignment;
  /** False when the staff member already helped the customer (nothing changed, H4). */
  created: boolean;
}

/** Helpers: staff assigned to customers (H1–H10). */
export class HelperService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly hub: EventHub,
    private readonly streams: StreamAccessService,
  ) {}

  async add(
    auth: Auth,
    customerId: string,
    staffId: string,
    until?: Date | null,
  ): Promise<AddedHelper> {
    requireMayAssign(auth, staffId);
    if (until && until.getTime() <= Date.now())
      throw new BadInputError('until', 'until must be in the future');
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, customerId);
      const staff = await this.access.requireStaff(tx.manager, auth, staffId);
      if (!staff.active) throw new BadInputError('staffId', `${staff.name} is deactivated`);
      await this.expire(tx, `customer_id = $1 AND staff_id = $2`, [customer.id, staff.id]);
      const actor = actorOf(auth);
      const [inserted] = (await tx.manager.query(
        `INSERT INTO helper_assignment
           (organization_id, customer_id, staff_id, assigned_by_kind, assigned_by_id, assigned_by_name, until)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (customer_id, staff_id) WHERE ended_at IS NULL DO NOTHING
         RETURNING *`,
        [
          auth.organizationId,
          customer.id,
          staff.id,
          actor.kind,
          actor.id,
          actor.name,
          until ?? null,
        ],
      )) as Record<string, unknown>[];
      if (!inserted) {
        const existing = await tx.manager.findOneByOrFail(HelperAssignment, {
          customerId: customer.id,
          staffId: staff.id,
          endedAt: IsNull(),
        });
        return { assignment: existing, created: false };
      }
      const assignment = hydrate(tx.manager.connection, HelperAssignment, inserted);
      await this.announce(tx, assignment, HelperChangeKind.ADDED, actor);
      return { assignment, created: true };
    });
  }

  /** Ends a current assignment by hand; one that does not exist is NOT_FOUND (H4). */
  async end(auth: Auth, customerId: string, staffId: string): Promise<HelperAssignment> {
    requireMayAssign(auth, staffId);
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, customerId);
      await this.access.requireStaff(tx.manager, auth, staffId);
      const [ended] = await this.endWhere(
        tx,
        `customer_id = $1 AND staff_id = $2 AND ${activeHelper('helper_assignment')}`,
        [customer.id, staffId],
        HelperEndReason.ENDED,
        actorOf(auth),
      );
      if (!ended) throw new NotFoundError('HelperAssignment');
      return ended;
    });
  }

  /** Ends every assignment whose `until` has come (H3): a job on every instance runs it. */
  async expireDue(): Promise<number> {
    // SKIP LOCKED: instances running this at once split the work instead of waiting.
    return this.uow.run(
      async (tx) => (await this.expire(tx, 'true', [], { skipLocked: true })).length,
    );
  }

  /** A deactivated staff member helps nobody any more (in the deactivation's transaction). */
  async endAllOf(tx: Tx, staffId: string, actor: ActorRef): Promise<void> {
    await this.endWhere(
      tx,
      `staff_id = $1 AND ${activeHelper('helper_assignment')}`,
      [staffId],
      HelperEndReason.DEACTIVATED,
      actor,
    );
  }

  /** The dashboard: customers the caller helps, most recent activity first (H6). */
  myCustomers(auth: Auth, page: PageRequest): Promise<Page<Customer>> {
    if (!auth.staffId) throw new ForbiddenError('Only staff help customers');
    const query = this.uow.dataSource
      .getRepository(Customer)
      .createQueryBuilder('customer')
      .innerJoin(HelperAssignment, 'a', `a.customer_id = customer.id AND ${activeHelper('a')}`)
      .where('a.staff_id = :staffId AND customer.organization_id = :org', {
        staffId: auth.staffId,
        org: auth.organizationId,
      });
    return paginate(query, page, { property: 'lastActivityAt', direction: 'DESC' });
  }

  /**
   * Helper changes of a customer (H10), or without a customer, of the caller's own assignments:
   * first a SNAPSHOT of the current ones, then each change.
   */
  async subscribeChanges(
    auth: Auth,
    customerId?: string | null,
  ): Promise<AsyncIterableIterator<EventEnvelope>> {
    if (customerId) {
      const { value: customer, access } = await this.streams.check(auth, (now) =>
        this.access.requireCustomer(this.uow.dataSource.manager, now, customerId),
      );
      const stream = Streams.customerHelpers(auth.organizationId, customer.id);
      return this.hub.subscribe(stream, {
        snapshot: () => this.snapshot(stream, 'customer_id', customer.id),
        access,
      });
    }
    if (!auth.staffId) throw new ForbiddenError('Name a customer: an API key helps nobody');
    const stream = Streams.staffHelping(auth.organizationId, auth.staffId);
    return this.hub.subscribe(stream, {
      snapshot: () => this.snapshot(stream, 'staff_id', auth.staffId as string),
    });
  }

  /** What happened with the customers the caller helps (H9), from the resume cursor on. */
  subscribeNotifications(auth: Auth, after?: number): AsyncIterableIterator<EventEnvelope> {
    if (!auth.staffId) throw new ForbiddenError('Only staff are notified');
    return this.hub.subscribe(Streams.staffNotifications(auth.organizationId, auth.staffId), {
      after,
    });
  }

  /**
   * Tells every current helper of the conversation's customer (H9); runs in the transaction
   * that stored the conversation or message.
   */
  async notifyHelpers(
    tx: Tx,
    conversation: Conversation,
    kind: NotificationKind,
    message?: Message,
  ): Promise<void> {
    const helpers = (await tx.manager.query(
      `SELECT staff_id FROM helper_assignment WHERE customer_id = $1 AND ${activeHelper('helper_assignment')}`,
      [conversation.customerId],
    )) as Array<{ staff_id: string }>;
    const payload: NotificationPayload = {
      kind,
      customerId: conversation.customerId,
      conversation: snapshotOf(conversation),
      ...(message ? { message: snapshotOf(message) } : {}),
    };
    for (const { staff_id } of helpers) {
      tx.emit(
        Streams.staffNotifications(conversation.organizationId, staff_id),
        conversation.organizationId,
        payload,
      );
    }
  }

  private async snapshot(
    stream: string,
    column: 'customer_id' | 'staff_id',
    id: string,
  ): Promise<StreamSnapshot> {
    const rows = (await this.uow.dataSource.query(
      `SELECT s.seq, a.* FROM (SELECT coalesce((SELECT last_seq FROM stream_seq WHERE stream = $1), 0) AS seq) s
         LEFT JOIN helper_assignment a ON a.${column} = $2 AND ${activeHelper('a')}
        ORDER BY a.assigned_at, a.id`,
      [stream, id],
    )) as Array<Record<string, unknown> & { seq: string; id: string | null }>;
    const assignments = rows
      .filter((row) => row.id !== null)
      .map((row) => snapshotOf(hydrate(this.uow.dataSource, HelperAssignment, row)));
    return {
      seq: Number(rows[0]?.seq ?? 0),
      payload: { kind: HelperChangeKind.SNAPSHOT, assignments },
    };
  }

  /** Ends assignments past their `until` among those matching `where`. */
  private expire(
    tx: Tx,
    where: string,
    parameters: unknown[],
    options: { skipLocked?: boolean } = {},
  ): Promise<HelperAssignment[]> {
    return this.endWhere(
      tx,
      `${where} AND ended_at IS NULL AND until <= now()`,
      parameters,
      HelperEndReason.EXPIRED,
      SYSTEM_ACTOR,
      options,
    );
  }

  private async endWhere(
    tx: Tx,
    where: string,
    parameters: unknown[],
    reason: HelperEndReason,
    actor: ActorRef,
    { skipLocked = false }: { skipLocked?: boolean } = {},
  ): Promise<HelperAssignment[]> {
    const n = parameters.length;
    const rows = (await tx.manager.query(
      `UPDATE helper_assignment
          SET ended_at = CASE WHEN $${n + 1} = 'EXPIRED' THEN until ELSE now() END, end_reason = $${n + 1},
              ended_by_kind = $${n + 2}, ended_by_id = $${n + 3}, ended_by_name = $${n + 4}
        WHERE id IN (SELECT id FROM helper_assignment WHERE ${where} FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''})
        RETURNING *`,
      [...parameters, reason, actor.kind, actor.id, actor.name],
    )) as [Record<string, unknown>[], number]; // TypeORM answers an UPDATE with [rows, count]
    const ended = rows[0].map((row) => hydrate(tx.manager.connection, HelperAssignment, row));
    for (const assignment of ended)
      await this.announce(tx, assignment, HelperChangeKind.ENDED, actor);
    return ended;
  }

  private async announce(
    tx: Tx,
    assignment: HelperAssignment,
    kind: HelperChangeKind,
    actor: ActorRef,
  ): Promise<void> {
    const payload: HelperChangePayload = { kind, assignment: snapshotOf(assignment), actor };
    const org = assignment.organizationId;
    tx.emit(Streams.customerHelpers(org, assignment.customerId), org, payload);
    tx.emit(Streams.staffHelping(org, assignment.staffId), org, payload);
  }
}

/** H2: an agent adds or ends only their own assignment; dispatchers and above anyone's. */
function requireMayAssign(auth: Auth, staffId: string): void {
  if (staffId === auth.staffId && can(auth, Permission.HelpCustomers)) return;
  if (can(auth, Permission.AssignHelpersToAnyone)) return;
  throw new ForbiddenError('Agents add or end only their own helper assignments');
}

/**
 * How an assignment's end reads now (H3): one past its `until` is ended at its `until`, EXPIRED
 * by Tandem, even before the expiry job writes it, so that every read agrees with `helperCount`
 * and `helpers` (which apply the same rule in SQL: `activeHelper`).
 */
export function endAsReadNow(
  a: HelperAssignment,
  now = Date.now(),
): Pick<HelperAssignment, 'endedAt' | 'endReason' | 'endedByKind' | 'endedById' | 'endedByName'> {
  if (a.endedAt === null && a.until !== null && new Date(a.until).getTime() <= now) {
    return {
      endedAt: a.until,
      endReason: HelperEndReason.EXPIRED,
      endedByKind: SYSTEM_ACTOR.kind,
      endedById: SYSTEM_ACTOR.id,
      endedByName: SYSTEM_ACTOR.name,
    };
  }
  return a;
}
