import type { AccessPolicy } from '../../authz/access-policy';
import { Permission, can } from '../../authz/permissions';
import { type Auth, actorOf } from '../../context/auth';
import { hydrate } from '../../db/rows';
import type { UnitOfWork } from '../../db/unit-of-work';
import { Conversation } from '../../entities/conversation.entity';
import { DedicatedHero } from '../../entities/dedicated-hero.entity';
import { RoutingReason } from '../../entities/enums';
import { BadInputError, ForbiddenError, NotFoundError } from '../../errors/domain-error';
import type { Assignments } from './assignments';
import type { RoutingService } from './routing.service';

export interface HeroTarget {
  agentId?: string | null;
  inboxId?: string | null;
}

/** Dedicated heroes (R1–R4, R7 lives in routing): a customer's agent or hero inbox. */
export class HeroService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly routing: RoutingService,
    private readonly assignments: Assignments,
  ) {}

  /**
   * Makes an agent or an inbox the customer's hero (R1). Future conversations go to it (R2);
   * replacing a hero moves the old hero's open conversations to the new one at once (R3).
   */
  async set(auth: Auth, customerId: string, target: HeroTarget): Promise<DedicatedHero> {
    if (Boolean(target.agentId) === Boolean(target.inboxId)) {
      throw new BadInputError(
        target.agentId ? 'inboxId' : 'agentId',
        'Name an agent or an inbox as the hero: exactly one',
      );
    }
    if (
      !can(auth, Permission.AssignHeroesToAnyone) &&
      !(target.agentId && target.agentId === auth.staffId)
    ) {
      throw new ForbiddenError('Agents can make only themselves a dedicated hero');
    }
    return this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, customerId, {
        forUpdate: true,
      });
      if (target.agentId) {
        const agent = await this.access.requireStaff(tx.manager, auth, target.agentId);
        if (!agent.active)
          throw new BadInputError('agentId', `${agent.name} is deactivated and cannot be a hero`);
      } else {
        await this.access.requireInbox(tx.manager, auth, target.inboxId as string);
      }
      const previous = await tx.manager.findOneBy(DedicatedHero, { customerId: customer.id });
      const actor = actorOf(auth);
      const hero = tx.manager.create(DedicatedHero, {
        customerId: customer.id,
        organizationId: auth.organizationId,
        agentId: target.agentId ?? null,
        inboxId: target.inboxId ?? null,
        setByKind: actor.kind,
        setById: actor.id,
        setByName: actor.name,
        setAt: new Date(),
      });
      await tx.manager.save(hero);
      if (previous && (previous.agentId !== hero.agentId || previous.inboxId !== hero.inboxId)) {
        // R3: what the old hero holds of this customer moves to the new one now.
        const moving = (await tx.manager.query(
          `SELECT * FROM conversation
            WHERE customer_id = $1 AND status = 'OPEN' AND deleted_at IS NULL
              AND ($2::uuid IS NOT NULL AND assignee_id = $2
                   OR $3::uuid IS NOT NULL AND inbox_id = $3 AND routing_reason = $4)
            ORDER BY created_at, id FOR UPDATE`,
          [customer.id, previous.agentId, previous.inboxId, RoutingReason.HERO_INBOX],
        )) as Record<string, unknown>[];
        for (const row of moving) {
          const conversation = hydrate(tx.manager.connection, Conversation, row);
          const note = `${actor.name} replaced the customer's hero`;
          if (hero.agentId) {
            await this.assignments.change(tx, conversation, {
              assigneeId: hero.agentId,
              reason: RoutingReason.HERO_CHANGED,
              actor,
              note,
            });
          } else {
            await this.routing.assignNextAvailable(
              tx,
              conversation,
              hero.inboxId as string,
              RoutingReason.HERO_CHANGED,
              actor,
              note,
            );
          }
        }
      }
      return hero;
    });
  }

  /** The customer has no hero from now on; its conversations stay where they are. */
  async clear(auth: Auth, customerId: string): Promise<void> {
    await this.uow.run(async (tx) => {
      const customer = await this.access.requireCustomer(tx.manager, auth, customerId, {
        forUpdate: true,
      });
      const hero = await tx.manager.findOneBy(DedicatedHero, { customerId: customer.id });
      if (!hero) throw new NotFoundError('DedicatedHero');
      if (!can(auth, Permission.AssignHeroesToAnyone) && hero.agentId !== auth.staffId) {
        throw new ForbiddenError('Agents can clear only their own hero assignments');
      }
      await tx.manager.delete(DedicatedHero, { customerId: customer.id });
    });
  }
}
