import type { EntityManager } from 'typeorm';
import { aliasedColumns, hydrate } from '../../db/rows';
import { Campaign } from '../../entities/campaign.entity';
import { Contact } from '../../entities/contact.entity';
import { Conversation } from '../../entities/conversation.entity';

/** What an inbound message joins, read (and written, for a new number) in one statement. */
export interface InboundTarget {
  /** The provider's enabled campaign, else the one it last served (disabled). */
  campaign: Campaign;
  /** The number's contact (a new number's made now, with its customer). */
  contact: Contact;
  /**
   * The interaction it joins, locked: the open one of that number in that campaign; for a
   * disabled campaign, else the closed one keeping what arrived while it was disabled.
   */
  joins: Conversation | null;
}

/** C3's SQL (inbound.sql); the only TypeScript naming its function. */
export class InboundStore {
  /**
   * The campaign and the number locked for the provider (the key `lockedContact` takes), then,
   * in a statement whose snapshot comes after the lock (so it sees what the number's previous
   * holder committed), the number's contact (made when unknown: `tandem_inbound_contact`) and the
   * interaction the message joins, locked: two statements instead of one per step. Null when
   * the provider serves no campaign (nothing is written then).
   */
  async target(
    manager: EntityManager,
    providerId: string,
    number: string,
    customerName: string,
  ): Promise<InboundTarget | null> {
    const dataSource = manager.connection;
    const [campaignRow] = (await manager.query(
      `SELECT ${aliasedColumns(dataSource, Campaign, 'k')},
              pg_advisory_xact_lock(hashtextextended($2, 0)) AS locked
         FROM (SELECT * FROM campaign WHERE provider_id = $1
                ORDER BY enabled DESC, updated_at DESC LIMIT 1) k`,
      [providerId, inboundLockKey(providerId, number)],
    )) as Array<Record<string, unknown>>;
    if (!campaignRow) return null;
    const campaign = hydrate(dataSource, Campaign, campaignRow, 'k');
    const [row] = (await manager.query(
      `SELECT ${aliasedColumns(dataSource, Contact, 't')}, ${aliasedColumns(dataSource, Conversation, 'o')}
         FROM tandem_inbound_contact($1, $2, $3) t
         LEFT JOIN LATERAL (
           SELECT * FROM conversation c
            WHERE c.campaign_id = $4 AND c.contact_id = t.id
              AND (c.status = 'OPEN'
                   OR (NOT $5 AND c.status = 'CLOSED' AND c.routing_reason = 'CAMPAIGN_DISABLED'))
            ORDER BY c.status = 'OPEN' DESC, c.created_at DESC
            LIMIT 1
              FOR UPDATE) o ON true`,
      [campaign.organizationId, number, customerName, campaign.id, campaign.enabled],
    )) as Array<Record<string, unknown>>;
    if (!row) throw new Error('tandem_inbound_contact returned no contact');
    return {
      campaign,
      contact: hydrate(dataSource, Contact, row, 't'),
      joins: row.o_id ? hydrate(dataSource, Conversation, row, 'o') : null,
    };
  }
}

/** The advisory lock of a number for a provider (its key; hashed by Postgres). */
export function inboundLockKey(providerId: string, number: string): string {
  return `inbound:${providerId}:${number}`;
}
