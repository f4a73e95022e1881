import DataLoader from 'dataloader';
import type { DataSource, EntityTarget } from 'typeorm';
import type { AccessPolicy } from '../authz/access-policy';
import {
  cursorKindOf,
  decodePosition,
  encodeCursor,
  lazyCursors,
  type Page,
  requirePageSize,
} from '../db/pagination';
import { admitShape } from '../db/column-shapes';
import type { PageEmbedding } from '../db/pagination';
import type { NestedSelection } from '../schema/nested-selection';
import { EmbeddedRelations } from './embedded-relations';
import { preparedQuery } from '../db/prepared';
import { hydrate } from '../db/rows';
import { Campaign } from '../entities/campaign.entity';
import { CannedResponse } from '../entities/canned-response.entity';
import { Contact } from '../entities/contact.entity';
import { Conversation } from '../entities/conversation.entity';
import { Customer } from '../entities/customer.entity';
import { DedicatedHero } from '../entities/dedicated-hero.entity';
import { RoutingDecision } from '../entities/routing-decision.entity';
import { HelperAssignment } from '../entities/helper-assignment.entity';
import { activeHelper } from '../services/helper/helper.store';
import { AssistSession } from '../entities/assist-session.entity';
import { ServiceRequest } from '../entities/service-request.entity';
import { AssistStore } from '../services/assist/assist.store';
import { RecordsStore } from '../services/campaign/recordings.store';
import type { ConversationStatus } from '../entities/enums';
import { Inbox } from '../entities/inbox.entity';
import { Message } from '../entities/message.entity';
import { Provider } from '../entities/provider.entity';
import { Staff } from '../entities/staff.entity';
import type { Auth } from './auth';

type Row = Record<string, unknown> & { id: string; total: string };

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** One page of children per parent: rows of the entity (alias `t`), keyed by `parent`. */
interface ChildPageSpec<T> {
  /** SQL for the parent key, e.g. `t.customer_id`. */
  parent: string;
  /** FROM clause when the rows come through a join (the entity aliased `t`); default its table. */
  from?: string;
  order: string;
  orderProperty: keyof T & string;
  direction: 'ASC' | 'DESC';
  where: string[];
  params: Record<string, unknown>;
  args: ChildPageArgs;
  /** Columns of `t` to read (`columnsFor`); all of them when absent. */
  columns?: string[] | null;
}

export interface ChildPageArgs {
  first: number;
  after?: string | null;
}

/**
 * Per-request batch loaders: whatever the page size, a relation costs one statement per request.
 * Every loader is scoped to the caller's organization.
 */
export class Loaders {
  readonly staff = this.byId(Staff);
  readonly inbox = this.byId(Inbox);
  readonly customer = this.byId(Customer);
  readonly contact = this.byId(Contact);
  readonly provider = this.byId(Provider);
  readonly campaign = this.byId(Campaign);

  /** Each conversation's state as the recordings show it (C15), when read outside a search. */
  readonly interactionState = new DataLoader<string, string | null>(async (conversationIds) => {
    const states = await new RecordsStore(this.dataSource).statesOf(
      this.organizationId,
      conversationIds,
    );
    return conversationIds.map((id) => states.get(id) ?? null);
  });

  /** Every message of each conversation, in order (C15's transcript): one statement. */
  readonly transcriptOfConversation = new DataLoader<string, Message[]>(async (conversationIds) => {
    const messages = await this.rows(
      Message,
      'conversation_id = ANY($1) AND organization_id = $2 ORDER BY position',
      [conversationIds],
    );
    const byConversation = groupBy(messages, (m) => m.conversationId);
    return conversationIds.map((id) => byConversation.get(id) ?? []);
  });

  readonly membersOfCampaign = new DataLoader<string, Staff[]>(async (campaignIds) => {
    const rows = await preparedQuery(
      this.dataSource,
      `SELECT s.*, m.campaign_id AS member_campaign_id FROM staff s JOIN campaign_member m ON m.staff_id = s.id
        WHERE m.campaign_id = ANY($1) AND s.organization_id = $2 ORDER BY s.name, s.id`,
      [campaignIds, this.organizationId],
    );
    const byCampaign = groupBy(rows, (row) => row.member_campaign_id as string);
    return campaignIds.map((id) =>
      (byCampaign.get(id) ?? []).map((row) => hydrate(this.dataSource, Staff, row)),
    );
  });

  readonly cannedResponsesOfCampaign = new DataLoader<string, CannedResponse[]>(
    async (campaignIds) => {
      const responses = await this.rows(
        CannedResponse,
        'campaign_id = ANY($1) AND organization_id = $2 ORDER BY position, id',
        [campaignIds],
      );
      const byCampaign = groupBy(responses, (r) => r.campaignId);
      return campaignIds.map((id) => byCampaign.get(id) ?? []);
    },
  );

  private readonly contactLists = new Map<string, DataLoader<string, Contact[]>>();

  /**
   * Each customer's contacts, oldest first; with `properties` (what the query reads of them:
   * `objectProperties`), only their columns are read.
   */
  contactsOfCustomer(properties?: string[] | null): DataLoader<string, Contact[]> {
    const columns = this.columnsFor(Contact, 'contacts', properties, ['customerId']);
    const key = columns?.join(',') ?? '*';
    let loader = this.contactLists.get(key);
    if (loader) return loader;
    loader = new DataLoader<string, Contact[]>(async (customerIds) => {
      const contacts = await this.rows(
        Contact,
        'customer_id = ANY($1) AND organization_id = $2 ORDER BY created_at, id',
        [customerIds],
        columns,
      );
      const byCustomer = groupBy(contacts, (c) => c.customerId);
      return customerIds.map((id) => byCustomer.get(id) ?? []);
    });
    this.contactLists.set(key, loader);
    return loader;
  }

  readonly membersOfInbox = new DataLoader<string, Staff[]>(async (inboxIds) => {
    const rows = await preparedQuery(
      this.dataSource,
      `SELECT s.*, m.inbox_id AS member_inbox_id FROM staff s JOIN inbox_member m ON m.staff_id = s.id
        WHERE m.inbox_id = ANY($1) AND s.organization_id = $2 ORDER BY s.name, s.id`,
      [inboxIds, this.organizationId],
    );
    const byInbox = groupBy(rows, (row) => row.member_inbox_id as string);
    return inboxIds.map((id) =>
      (byInbox.get(id) ?? []).map((row) => hydrate(this.dataSource, Staff, row)),
    );
  });

  /** The current helpers of each customer (H1). */
  readonly helpersOfCustomer = new DataLoader<string, HelperAssignment[]>(async (customerIds) => {
    const assignments = await this.rows(
      HelperAssignment,
      `customer_id = ANY($1) AND organization_id = $2 AND ${activeHelper('helper_assignment')}
        ORDER BY assigned_at, id`,
      [customerIds],
    );
    const byCustomer = groupBy(assignments, (a) => a.customerId);
    return customerIds.map((id) => byCustomer.get(id) ?? []);
  });

  private readonly lastConversations = new Map<string, DataLoader<string, Conversation | null>>();

  /**
   * Each customer's newest conversation the caller may see; with `properties` (what the query
   * reads of it: `objectProperties`), only their columns are read.
   */
  lastConversationOfCustomer(
    properties?: string[] | null,
  ): DataLoader<string, Conversation | null> {
    const columns = this.columnsFor(Conversation, 'last-conversation', properties, ['createdAt']);
    const key = columns?.join(',') ?? '*';
    let loader = this.lastConversations.get(key);
    if (loader) return loader;
    const select = columns ? columns.map((column) => `t.${column}`).join(', ') : 't.*';
    loader = new DataLoader<string, Conversation | null>(async (customerIds) => {
      const visible = this.access.visibleConversations(this.auth);
      const [sql, values] = this.dataSource.driver.escapeQueryWithParameters(
        `SELECT DISTINCT ON (t.customer_id) t.customer_id AS parent_key, ${select} FROM ${visible.from} t
        WHERE t.customer_id = ANY(:customerIds) AND t.organization_id = :org
        ORDER BY t.customer_id, t.created_at DESC, t.id DESC`,
        { customerIds, org: this.organizationId, ...visible.parameters },
      );
      const rows = await preparedQuery(this.dataSource, sql, values);
      const byCustomer = new Map(
        rows.map((row) => [row.parent_key as string, hydrate(this.dataSource, Conversation, row)]),
      );
      return customerIds.map((id) => byCustomer.get(id) ?? null);
    });
    this.lastConversations.set(key, loader);
    return loader;
  }

  /** Each customer's dedicated hero, if any. */
  readonly heroOfCustomer = new DataLoader<string, DedicatedHero | null>(async (customerIds) => {
    const heroes = await this.rows(
      DedicatedHero,
      'customer_id = ANY($1) AND organization_id = $2',
      [customerIds],
    );
    const byCustomer = new Map(heroes.map((hero) => [hero.customerId, hero]));
    return customerIds.map((id) => byCustomer.get(id) ?? null);
  });

  /** Every routing decision of each conversation, oldest first (R10). */
  readonly routingHistoryOfConversation = new DataLoader<string, RoutingDecision[]>(
    async (conversationIds) => {
      const decisions = await this.rows(
        RoutingDecision,
        'conversation_id = ANY($1) AND organization_id = $2 ORDER BY at, id',
        [conversationIds],
      );
      const byConversation = groupBy(decisions, (d) => d.conversationId);
      return conversationIds.map((id) => byConversation.get(id) ?? []);
    },
  );

  /** Assist sessions by id, as reads see them (one past its maximum has ended). */
  readonly assistSession = new DataLoader<string, AssistSession | null>(async (ids) => {
    const sessions = await new AssistStore().byIds(this.dataSource, this.organizationId, ids);
    const byId = new Map(sessions.map((session) => [session.id, session]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  /** Each staff member's open assist session, if any (A7). */
  readonly openAssistOfStaff = new DataLoader<string, AssistSession | null>(async (staffIds) => {
    const sessions = await new AssistStore().openOfStaff(
      this.dataSource,
      this.organizationId,
      staffIds,
    );
    const byStaff = new Map(sessions.map((session) => [session.staffId, session]));
    return staffIds.map((id) => byStaff.get(id) ?? null);
  });

  private readonly childPages = new Map<string, DataLoader<string, Page<unknown>>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: Auth | null,
    private readonly access: AccessPolicy,
  ) {}

  /**
   * The relations of a page of `parent` entities that its own statement can build
   * (embedded-relations.ts), for what the query selects of them (`nestedPageSelection`).
   */
  embedPage(parent: Function, selection: NestedSelection | null): PageEmbedding | null {
    if (!this.auth) return null;
    return new EmbeddedRelations(this.dataSource, this.auth, this.access, (relation, id, args) =>
      relation === 'conversations'
        ? this.conversationsOfCustomer(args as unknown as ChildPageArgs)
            .load(id)
            .then((page) => page.totalCount())
        : Promise.reject(new Error(`no count of ${relation}`)),
    ).page(parent, selection);
  }

  private get organizationId(): string {
    // No auth means no access to anything: a uuid that matches no row.
    return this.auth?.organizationId ?? '00000000-0000-0000-0000-000000000000';
  }

  /**
   * A customer's conversations, newest first, that the caller may see; with `properties` (what
   * the query reads of them: `connectionNodeProperties`), only their columns are read.
   */
  conversationsOfCustomer(
    args: ChildPageArgs & { status?: ConversationStatus | null },
    properties?: string[] | null,
  ): DataLoader<string, Page<Conversation>> {
    const visible = this.access.visibleConversations(this.auth);
    const columns = this.columnsFor(Conversation, 'conversations', properties, ['createdAt']);
    return this.childPage(`conversations:${JSON.stringify(args)}:${columns ?? '*'}`, Conversation, {
      columns,
      parent: 't.customer_id',
      from: `${visible.from} t`,
      order: 'created_at',
      orderProperty: 'createdAt',
      direction: 'DESC',
      where: args.status ? ['t.status = :status'] : [],
      params: { status: args.status ?? null, ...visible.parameters },
      args,
    });
  }

  /** A customer's helper assignments, current and past, newest first (H8). */
  helperHistoryOfCustomer(args: ChildPageArgs): DataLoader<string, Page<HelperAssignment>> {
    return this.childPage(`helper-history:${JSON.stringify(args)}`, HelperAssignment, {
      parent: 't.customer_id',
      order: 'assigned_at',
      orderProperty: 'assignedAt',
      direction: 'DESC',
      where: [],
      params: {},
      args,
    });
  }

  /** The customers a staff member helps now, most recent activity first (H6, H7). */
  customersHelpedBy(args: ChildPageArgs): DataLoader<string, Page<Customer>> {
    return this.childPage(`helping:${JSON.stringify(args)}`, Customer, {
      parent: 'a.staff_id',
      from: 'helper_assignment a JOIN customer t ON t.id = a.customer_id',
      order: 'last_activity_at',
      orderProperty: 'lastActivityAt',
      direction: 'DESC',
      where: [activeHelper('a')],
      params: {},
      args,
    });
  }

  /** A customer's requests, forms and workflows, newest first (A2). */
  requestsOfCustomer(args: ChildPageArgs): DataLoader<string, Page<ServiceRequest>> {
    return this.childPage(`requests:${JSON.stringify(args)}`, ServiceRequest, {
      parent: 't.customer_id',
      order: 'created_at',
      orderProperty: 'createdAt',
      direction: 'DESC',
      where: [],
      params: {},
      args,
    });
  }

  /** A conversation's messages, oldest first. */
  messagesOfConversation(args: ChildPageArgs): DataLoader<string, Page<Message>> {
    return this.childPage(`messages:${JSON.stringify(args)}`, Message, {
      parent: 't.conversation_id',
      order: 'position',
      orderProperty: 'position',
      direction: 'ASC',
      where: [],
      params: {},
      args,
    });
  }

  /**
   * What a contact (a number, an address) said and was told, newest first, across its
   * interactions (C7): only the conversations the caller sees; one of them may be left out (the
   * one on screen, read with Conversation.messages).
   */
  messagesOfContact(
    args: ChildPageArgs & { excludeConversationId?: string | null },
  ): DataLoader<string, Page<Message>> {
    const visible = this.access.visibleConversations(this.auth);
    return this.childPage(`contact-history:${JSON.stringify(args)}`, Message, {
      parent: 'c.contact_id',
      from: `message t JOIN ${visible.from} c ON c.id = t.conversation_id`,
      order: 'position',
      orderProperty: 'position',
      direction: 'DESC',
      where: args.excludeConversationId ? ['c.id <> :excludeConversationId'] : [],
      params: { excludeConversationId: args.excludeConversationId ?? null, ...visible.parameters },
      args,
    });
  }

  /**
   * The columns of `target` holding `properties`, with its id, organization and `always`; null
   * (every column) without properties, when one is not a column, or once `kind` has been read
   * in too many shapes (db/column-shapes.ts).
   */
  private columnsFor<T>(
    target: EntityTarget<T>,
    kind: string,
    properties: string[] | null | undefined,
    always: string[],
  ): string[] | null {
    if (!properties) return null;
    const metadata = this.dataSource.getMetadata(target);
    const columns = new Set<string>();
    for (const property of ['id', 'organizationId', ...always, ...properties]) {
      const column = metadata.findColumnWithPropertyPath(property);
      if (!column) return null;
      columns.add(column.databaseName);
    }
    const list = [...columns].sort();
    return admitShape(`${kind}:${list.join(',')}`) ? list : null;
  }

  private byId<T extends { id: string; organizationId: string }>(
    target: EntityTarget<T>,
  ): DataLoader<string, T | null> {
    return new DataLoader<string, T | null>(async (ids) => {
      const rows = await this.rows(target, 'id = ANY($1) AND organization_id = $2', [ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  /** Rows of the caller's organization (`$2`) matching `where`, as entities (`columns`: those only). */
  private async rows<T extends object>(
    target: EntityTarget<T>,
    where: string,
    parameters: unknown[],
    columns?: string[] | null,
  ): Promise<T[]> {
    const table = this.dataSource.getMetadata(target).tableName;
    const select = columns ? columns.join(', ') : '*';
    const rows = await preparedQuery(
      this.dataSource,
      `SELECT ${select} FROM ${table} WHERE ${where}`,
      [...parameters.slice(0, 1), this.organizationId, ...parameters.slice(1)],
    );
    return rows.map((row) => hydrate(this.dataSource, target, row));
  }

  /**
   * One page per parent in one statement: rows are numbered per parent after the cursor, and
   * counted per parent over everything, with window functions.
   */
  private childPage<T extends { id: string }>(
    key: string,
    target: EntityTarget<T>,
    spec: ChildPageSpec<T>,
  ): DataLoader<string, Page<T>> {
    const existing = this.childPages.get(key);
    if (existing) return existing as DataLoader<string, Page<T>>;
    requirePageSize(spec.args.first);
    let afterCondition = 'true';
    const params: Record<string, unknown> = {
      ...spec.params,
      org: this.organizationId,
      limit: spec.args.first + 1,
    };
    if (spec.args.after) {
      const kind = cursorKindOf(this.dataSource.getMetadata(target), spec.orderProperty);
      const [value, id] = decodePosition(spec.args.after, kind);
      afterCondition = `(t.${spec.order}, t.id) ${spec.direction === 'ASC' ? '>' : '<'} (:cursorValue, :cursorId)`;
      Object.assign(params, { cursorValue: value, cursorId: id });
    }
    const from = this.fromOf(target, spec);
    const loader = new DataLoader<string, Page<T>>(async (parentIds) => {
      const [sql, values] = this.dataSource.driver.escapeQueryWithParameters(
        `SELECT * FROM (
           SELECT ${spec.columns ? spec.columns.map((column) => `t.${column}`).join(', ') : 't.*'}, ${spec.parent} AS parent_key,
                  count(*) OVER (PARTITION BY ${spec.parent}) AS total,
                  (${afterCondition}) AS after_cursor,
                  row_number() OVER (PARTITION BY ${spec.parent}, (${afterCondition})
                                     ORDER BY t.${spec.order} ${spec.direction}, t.id ${spec.direction}) AS rn
             FROM ${from}
            WHERE ${spec.parent} = ANY(:parentIds) AND t.organization_id = :org
              ${spec.where.map((w) => `AND ${w}`).join(' ')}
         ) paged
         WHERE after_cursor AND rn <= :limit
         ORDER BY rn`,
        { ...params, parentIds },
      );
      const rows = await preparedQuery<Row>(this.dataSource, sql, values);
      const byParent = groupBy(rows, (row) => row.parent_key as string);
      return parentIds.map((parentId) => {
        const parentRows = byParent.get(parentId) ?? [];
        const nodes = parentRows
          .slice(0, spec.args.first)
          .map((row) => hydrate(this.dataSource, target, row));
        const total = Number(parentRows[0]?.total ?? 0);
        return Object.assign(
          lazyCursors(nodes, (node) => {
            const value = node[spec.orderProperty] as unknown;
            return encodeCursor([
              value instanceof Date ? value.toISOString() : (value as string),
              node.id,
            ]);
          }),
          {
            nodes,
            hasNextPage: parentRows.length > spec.args.first,
            // Without rows after the cursor the window count is unknown; count it then.
            totalCount: async () =>
              parentRows.length ? total : this.countChildren(from, spec, parentId),
          },
        );
      });
    });
    this.childPages.set(key, loader as DataLoader<string, Page<unknown>>);
    return loader;
  }

  private fromOf<T>(target: EntityTarget<T>, spec: ChildPageSpec<T>): string {
    return spec.from ?? `${this.dataSource.getMetadata(target).tableName} t`;
  }

  private async countChildren<T>(
    from: string,
    spec: ChildPageSpec<T>,
    parentId: string,
  ): Promise<number> {
    const [sql, values] = this.dataSource.driver.escapeQueryWithParameters(
      `SELECT count(*) AS n FROM ${from} WHERE ${spec.parent} = :parentId AND t.organization_id = :org
        ${spec.where.map((w) => `AND ${w}`).join(' ')}`,
      { ...spec.params, parentId, org: this.organizationId },
    );
    const [row] = await preparedQuery<{ n: string }>(this.dataSource, sql, values);
    return Number(row?.n ?? 0);
  }
}
