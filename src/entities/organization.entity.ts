import { Field, ID, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Inbox } from './inbox.entity';

/** A tenant. Every other row carries its organization. */
@ObjectType({ description: 'A tenant: every row belongs to exactly one organization.' })
@Entity('organization')
export class Organization {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column('text')
  name: string;

  /** Where conversations go when no inbox is named. Set right after the org is created. */
  @Column('uuid', { nullable: true })
  defaultInboxId: string | null;

  @ManyToOne(() => Inbox, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'default_inbox_id' })
  defaultInbox?: Relation<Inbox> | null;

  @Field({
    description:
      'IANA time zone (e.g. Europe/Paris) in which its days are counted, as reports do; default UTC.',
  })
  @Column('text', { default: 'UTC' })
  timeZone: string;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
