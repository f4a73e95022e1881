import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  type Relation,
} from 'typeorm';
import { OrganizationRecord } from './organization-record';
import { Provider } from './provider.entity';

/**
 * A provider's webhook delivery as it was received, verified and not yet (or already) processed:
 * the raw bytes are what the provider signed, so what is processed is what was verified. The row
 * is written before the provider is answered 200, and processed by a job, so a crash after the
 * answer loses nothing (C3).
 */
@Entity('provider_webhook')
// The sweep of deliveries whose job was lost (its instance died while running it).
@Index('idx_provider_webhook_unprocessed', ['receivedAt'], { where: 'processed_at IS NULL' })
@Index('idx_provider_webhook_provider_id', ['providerId'])
export class ProviderWebhook extends OrganizationRecord {
  @Column('uuid')
  providerId: string;

  @ManyToOne(() => Provider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: Relation<Provider>;

  @Column('bytea')
  rawBody: Buffer;

  /** The headers the adapter read (content type, signature), for the record. */
  @Column('jsonb')
  headers: Record<string, string>;

  /** The URL the provider called (Twilio signs it). */
  @Column('text')
  publicUrl: string;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  receivedAt: Date;

  @Column('timestamp with time zone', { precision: 3, nullable: true })
  processedAt: Date | null;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('text', { nullable: true })
  lastError: string | null;
}
