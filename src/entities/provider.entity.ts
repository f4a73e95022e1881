import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { OrganizationRecord } from './organization-record';

/** The messaging APIs Tandem speaks (C1). */
export enum ProviderKind {
  /** Meta's WhatsApp Cloud API. */
  WHATSAPP_CLOUD = 'WHATSAPP_CLOUD',
  /** Twilio's Messages API for WhatsApp. */
  TWILIO = 'TWILIO',
}

/** The write-only secrets a provider may hold; which ones a kind needs is the adapter's rule. */
export enum ProviderSecretName {
  ACCESS_TOKEN = 'ACCESS_TOKEN',
  APP_SECRET = 'APP_SECRET',
  VERIFY_TOKEN = 'VERIFY_TOKEN',
  AUTH_TOKEN = 'AUTH_TOKEN',
}

export enum ProviderHealthState {
  OK = 'OK',
  /** The provider refused our credentials (or kept failing): its outbox is held until it recovers. */
  FAILING = 'FAILING',
}

registerEnumType(ProviderKind, {
  name: 'ProviderKind',
  description: "WHATSAPP_CLOUD: Meta's WhatsApp Cloud API. TWILIO: Twilio's Messages API.",
});
registerEnumType(ProviderSecretName, {
  name: 'ProviderSecretName',
  description: 'A write-only secret of a provider (its value is never returned).',
});
registerEnumType(ProviderHealthState, { name: 'ProviderHealthState' });

@ObjectType({ description: "A provider's health: FAILING holds its outbox until it recovers." })
export class ProviderHealth {
  @Field(() => ProviderHealthState)
  state: ProviderHealthState;

  @Field(() => String, { nullable: true, description: 'The last error the provider answered.' })
  lastError: string | null;

  @Field(() => Date, { nullable: true, description: 'Since when it has been FAILING.' })
  failingSince: Date | null;
}

/**
 * A messaging provider account: one WhatsApp number (C1). Its secrets are sealed (AES-256-GCM
 * under SECRETS_KEY) in `sealedSecrets`, which no GraphQL field exposes; `configuredSecrets`
 * says which are set.
 */
@ObjectType({
  description:
    'A messaging provider account (one WhatsApp number). Credentials are write-only: no query returns them.',
})
@Entity('provider')
@Index('uq_provider_organization_id_name', ['organizationId', 'name'], { unique: true })
export class Provider extends OrganizationRecord {
  @Field()
  @Column('text')
  name: string;

  @Field(() => ProviderKind)
  @Column('varchar', { length: 32 })
  kind: ProviderKind;

  @Field({ description: "The API's base URL, with its version (the provider's own by default)." })
  @Column('text')
  apiBaseUrl: string;

  @Field({ description: 'The display phone number customers write to, E.164.' })
  @Column('text')
  accountNumber: string;

  @Field(() => String, { nullable: true, description: 'WhatsApp Cloud: the phone number id.' })
  @Column('text', { nullable: true })
  phoneNumberId: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'WhatsApp Cloud: the WhatsApp Business Account id.',
  })
  @Column('text', { nullable: true })
  businessAccountId: string | null;

  @Field(() => String, { nullable: true, description: 'Twilio: the account SID.' })
  @Column('text', { nullable: true })
  accountSid: string | null;

  /** The secrets as one sealed JSON object (src/services/provider/secrets.ts); never a field. */
  @Column('text', { nullable: true })
  sealedSecrets: string | null;

  @Field(() => [ProviderSecretName], { description: 'Which secrets are set (never their values).' })
  @Column('text', { array: true, default: () => "'{}'" })
  configuredSecrets: ProviderSecretName[];

  @Column('varchar', { length: 16, default: ProviderHealthState.OK })
  healthState: ProviderHealthState;

  @Column('text', { nullable: true })
  lastError: string | null;

  @Column('timestamp with time zone', { precision: 3, nullable: true })
  failingSince: Date | null;

  /** C6's throttle: the provider's next free send slot (tandem_reserve_send_slots). */
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  nextSendAt: Date | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
