import { Field, Int, ObjectType } from 'type-graphql';
import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
  UpdateDateColumn,
} from 'typeorm';
import { Inbox } from './inbox.entity';
import { OrganizationRecord } from './organization-record';
import { Provider } from './provider.entity';

/**
 * A WhatsApp campaign (C2): one provider number, its members, its queue. Its interactions are
 * conversations of its own inbox, so conversation, message and lock streams work on them.
 */
@ObjectType({ description: 'A messaging campaign on one provider number, worked by its members.' })
@Entity('campaign')
@Index('uq_campaign_organization_id_name', ['organizationId', 'name'], { unique: true })
// A number serves one enabled campaign, so every inbound message has one campaign (C1).
@Index('uq_campaign_enabled_provider_id', ['providerId'], { unique: true, where: 'enabled' })
@Index('uq_campaign_inbox_id', ['inboxId'], { unique: true })
@Check('chk_campaign_max_interactions_per_agent', 'max_interactions_per_agent > 0')
@Check('chk_campaign_service_level_seconds', 'service_level_seconds > 0')
@Check('chk_campaign_abandon_after_seconds', 'abandon_after_seconds > 0')
@Check('chk_campaign_short_abandon_seconds', 'short_abandon_seconds >= 0')
export class Campaign extends OrganizationRecord {
  @Field()
  @Column('text')
  name: string;

  /** Null once its provider was deleted (allowed only while disabled). */
  @Column('uuid', { nullable: true })
  providerId: string | null;

  @ManyToOne(() => Provider, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'provider_id' })
  provider?: Relation<Provider> | null;

  @Column('uuid')
  inboxId: string;

  @ManyToOne(() => Inbox, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'inbox_id' })
  inbox?: Relation<Inbox>;

  @Field(() => Int, {
    description: 'Active interactions of this campaign one agent holds at most.',
  })
  @Column('integer')
  maxInteractionsPerAgent: number;

  @Field(() => Int, {
    description: 'Service-level threshold: an interaction taken within it was answered in time.',
  })
  @Column('integer')
  serviceLevelSeconds: number;

  @Field({
    description:
      'Service level counts abandoned interactions against it (those abandoned after shortAbandonSeconds); when false, it is answered in time over answered.',
  })
  @Column('boolean', { default: true })
  serviceLevelCountsAbandoned: boolean;

  @Field(() => Int, {
    description:
      'An interaction abandoned within this many seconds of waiting is a short abandon: counted as abandoned, left out of the service level.',
  })
  @Column('integer', { default: 5 })
  shortAbandonSeconds: number;

  @Field(() => Int, {
    description: 'An interaction waiting longer than this (since waitingSince) is ABANDONED.',
  })
  @Column('integer')
  abandonAfterSeconds: number;

  @Field({ description: 'A disabled campaign keeps its data and receives no new routing.' })
  @Column('boolean', { default: true })
  enabled: boolean;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field()
  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
