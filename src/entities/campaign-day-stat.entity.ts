import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Campaign } from './campaign.entity';
import { Organization } from './organization.entity';

/**
 * A campaign's counters for one day of its organization (C9), kept by a trigger
 * (src/services/supervision/monitor.sql) in the transaction of each arrival, take, abandon and
 * close, so the live monitor reads one row instead of scanning the day's interactions. Each
 * event counts on the day it happened (an interaction offered before the reset and taken after
 * it is offered on one day, answered on the next), as contact-center interval reports count.
 */
@Entity('campaign_day_stat')
export class CampaignDayStat {
  @PrimaryColumn('uuid')
  campaignId: string;

  @ManyToOne(() => Campaign, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id' })
  campaign?: Relation<Campaign>;

  /** The organization's day (its time zone, from its reset time). */
  @PrimaryColumn('date')
  day: string;

  @Column('uuid')
  organizationId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<Organization>;

  /** Interactions that started waiting in the queue (a requeue does not offer again). */
  @Column('integer', { default: 0 })
  offered: number;

  /** Interactions taken from the queue (their first take). */
  @Column('integer', { default: 0 })
  answered: number;

  /** Of those, taken within the campaign's service-level threshold. */
  @Column('integer', { default: 0 })
  answeredInThreshold: number;

  /** Sum of the waits of the answered ones (waitingSince to the take), in milliseconds. */
  @Column('bigint', { default: 0 })
  waitMs: string;

  /** Interactions that left the queue ABANDONED without ever being taken. */
  @Column('integer', { default: 0 })
  abandoned: number;

  /** Of those, abandoned within the campaign's short-abandon time (ignored by service level). */
  @Column('integer', { default: 0 })
  shortAbandoned: number;

  /** Taken interactions that ended (closed or archived), their first end. */
  @Column('integer', { default: 0 })
  handled: number;

  /** Sum of their handle times (first take to end), in milliseconds. */
  @Column('bigint', { default: 0 })
  handleMs: string;
}
