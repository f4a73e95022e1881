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

/** PostgreSQL gives `time` as HH:MM:SS; the API speaks HH:MM. */
const HH_MM = {
  to: (value: string | undefined) => value,
  from: (value: string | null) => (value === null ? value : value.slice(0, 5)),
};

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

  @Field({
    description:
      "When its day starts, HH:MM in its time zone (default 00:00): campaign figures 'today' count from it.",
  })
  @Column('time', { precision: 0, default: '00:00:00', transformer: HH_MM })
  dayResetTime: string;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
