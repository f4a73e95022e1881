import { Field, Int, ObjectType } from 'type-graphql';
import { Check, Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { Channel } from './enums';
import { OrganizationRecord } from './organization-record';

@ObjectType({ description: 'A queue of conversations worked by its members.' })
@Entity('inbox')
@Index('uq_inbox_organization_id_name', ['organizationId', 'name'], { unique: true })
@Check('chk_inbox_agent_capacity', 'agent_capacity > 0')
@Index('uq_inbox_default_voice', ['organizationId'], { unique: true, where: 'is_default_voice' })
export class Inbox extends OrganizationRecord {
  @Field()
  @Column('text')
  name: string;

  @Field(() => [Channel])
  @Column('text', { array: true, default: () => "'{}'" })
  channels: Channel[];

  @Field({
    description: 'Voice calls whose hero is unavailable go to this inbox (one per organization).',
  })
  @Column('boolean', { default: false })
  isDefaultVoice: boolean;

  @Field(() => Int, {
    description: 'How many open conversations of this inbox an agent takes at most.',
  })
  @Column('integer', { default: 5 })
  agentCapacity: number;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
