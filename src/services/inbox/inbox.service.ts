import { In } from 'typeorm';
import type { AccessPolicy } from '../../authz/access-policy';
import { seesAllInboxes } from '../../authz/permissions';
import type { Auth } from '../../context/auth';
import { isUniqueViolation } from '../../db/errors';
import { type Page, type PageRequest, paginate } from '../../db/pagination';
import type { Tx, UnitOfWork } from '../../db/unit-of-work';
import { Channel } from '../../entities/enums';
import { Inbox } from '../../entities/inbox.entity';
import { Staff } from '../../entities/staff.entity';
import { BadInputError, ConflictError, NotFoundError } from '../../errors/domain-error';
import { definedOnly } from '../../util/defined-only';
import type { RoutingService } from '../routing/routing.service';
import type { StreamAccessService } from '../session/stream-access.service';

export interface InboxFields {
  name?: string;
  channels?: Channel[];
  isDefaultVoice?: boolean;
  agentCapacity?: number;
}

export class InboxService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly access: AccessPolicy,
    private readonly routing: RoutingService,
    private readonly streams: StreamAccessService,
  ) {}

  async create(auth: Auth, fields: InboxFields & { name: string }): Promise<Inbox> {
    return this.uow.run(async (tx) => {
      const inbox = tx.manager.create(Inbox, {
        organizationId: auth.organizationId,
        name: fields.name.trim(),
        channels: uniqueChannels(fields.channels ?? Object.values(Channel)),
        isDefaultVoice: false,
        ...(fields.agentCapacity ? { agentCapacity: fields.agentCapacity } : {}),
      });
      await this.save(tx, inbox);
      if (fields.isDefaultVoice) await this.makeDefaultVoice(tx, inbox);
      return inbox;
    });
  }

  async update(auth: Auth, inboxId: string, fields: InboxFields): Promise<Inbox> {
    return this.uow.run(async (tx) => {
      const inbox = await this.access.requireInbox(tx.manager, auth, inboxId);
      const { isDefaultVoice, ...values } = definedOnly(fields);
      if (isDefaultVoice === false && inbox.isDefaultVoice) {
        throw new ConflictError(
          'An organization keeps one default voice inbox: make another inbox the default instead',
          {
            field: 'isDefaultVoice',
          },
        );
      }
      if (values.name !== undefined) inbox.name = values.name.trim();
      if (values.channels !== undefined) inbox.channels = uniqueChannels(values.channels);
      if (values.agentCapacity !== undefined) {
        // More room per agent: the queue may flow now (R9).
        if (values.agentCapacity > inbox.agentCapacity)
          this.routing.drainAfterCommit(tx, inbox.organizationId, inbox.id);
        inbox.agentCapacity = values.agentCapacity;
      }
      await this.save(tx, inbox);
      if (isDefaultVoice === true) await this.makeDefaultVoice(tx, inbox);
      return inbox;
    });
  }

  /** Replaces the inbox's members with exactly these staff members. */
  async setMembers(auth: Auth, inboxId: string, staffIds: string[]): Promise<Inbox> {
    const wanted = [...new Set(staffIds)];
    return this.uow.run(async (tx) => {
      // The inbox row lock serializes concurrent replacements of its member list.
      const inbox = await this.access.requireInbox(tx.manager, auth, inboxId, { forUpdate: true });
      const found = wanted.length
        ? await tx.manager.findBy(Staff, { id: In(wanted), organizationId: auth.organizationId })
        : [];
      const missing = wanted.find((id) => !found.some((staff) => staff.id === id));
      if (missing) throw new NotFoundError('Staff', missing);
      // Only who leaves and who joins is written: their access changes (item 8), the others' not.
      const left = (await tx.manager.query(
        'DELETE FROM inbox_member WHERE inbox_id = $1 AND NOT (staff_id = ANY($2)) RETURNING staff_id',
        [inbox.id, wanted],
      )) as [Array<{ staff_id: string }>, number];
      const joined = wanted.length
        ? ((await tx.manager.query(
            `INSERT INTO inbox_member (inbox_id, staff_id, organization_id)
             SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT DO NOTHING RETURNING staff_id`,
            [inbox.id, wanted, auth.organizationId],
          )) as Array<{ staff_id: string }>)
        : [];
      this.streams.changed(tx, [
        ...left[0].map((row) => row.staff_id),
        ...joined.map((row) => row.staff_id),
      ]);
      this.routing.drainAfterCommit(tx, inbox.organizationId, inbox.id); // new members may take the queue
      return inbox;
    });
  }

  get(auth: Auth, id: string): Promise<Inbox> {
    return this.access.requireInbox(this.uow.dataSource.manager, auth, id);
  }

  list(auth: Auth, page: PageRequest): Promise<Page<Inbox>> {
    const query = this.uow.dataSource
      .getRepository(Inbox)
      .createQueryBuilder('inbox')
      .where('inbox.organization_id = :org', { org: auth.organizationId });
    if (!seesAllInboxes(auth)) {
      query.andWhere(
        'inbox.id IN (SELECT m.inbox_id FROM inbox_member m WHERE m.staff_id = :viewerId)',
        {
          viewerId: auth.staffId,
        },
      );
    }
    return paginate(query, page, { property: 'name', direction: 'ASC' });
  }

  private async makeDefaultVoice(tx: Tx, inbox: Inbox): Promise<void> {
    // Serializes concurrent switches, which would otherwise collide on uq_inbox_default_voice.
    await tx.manager.query('SELECT 1 FROM organization WHERE id = $1 FOR UPDATE', [
      inbox.organizationId,
    ]);
    await tx.manager.update(
      Inbox,
      { organizationId: inbox.organizationId, isDefaultVoice: true },
      { isDefaultVoice: false },
    );
    await tx.manager.update(Inbox, { id: inbox.id }, { isDefaultVoice: true });
    inbox.isDefaultVoice = true;
  }

  private async save(tx: Tx, inbox: Inbox): Promise<Inbox> {
    if (!inbox.name) throw new BadInputError('name', 'An inbox needs a name');
    try {
      return await tx.manager.save(inbox);
    } catch (error) {
      if (isUniqueViolation(error, 'uq_inbox_organization_id_name')) {
        throw new ConflictError(`An inbox named "${inbox.name}" already exists`, { field: 'name' });
      }
      throw error;
    }
  }
}

function uniqueChannels(channels: Channel[]): Channel[] {
  if (channels.length === 0)
    throw new BadInputError('channels', 'An inbox takes at least one channel');
  return [...new Set(channels)];
}
