import { Field, ObjectType } from 'type-graphql';
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
import { Staff } from './staff.entity';

/**
 * An internal message between a supervisor and an agent (C13): kept, never shown to customers.
 * Unread until its recipient marks the conversation with its sender read.
 */
@ObjectType({ description: 'An internal message between a supervisor and an agent (C13).' })
@Entity('agent_chat_message')
@Index('idx_agent_chat_message_to_staff_id_from_staff_id', ['toStaffId', 'fromStaffId'], {
  where: 'read_at IS NULL',
})
@Index('idx_agent_chat_message_from_staff_id_created_at', ['fromStaffId', 'createdAt'])
export class AgentChatMessage extends OrganizationRecord {
  @Column('uuid')
  fromStaffId: string;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'from_staff_id' })
  fromStaff?: Relation<Staff>;

  @Column('uuid')
  toStaffId: string;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'to_staff_id' })
  toStaff?: Relation<Staff>;

  @Field()
  @Column('text')
  body: string;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the recipient read it.' })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  readAt: Date | null;
}
