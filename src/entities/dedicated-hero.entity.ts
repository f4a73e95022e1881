import { Field, ObjectType } from 'type-graphql';
import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { AuthorKind } from './enums';
import { Customer } from './customer.entity';
import { Inbox } from './inbox.entity';
import { Organization } from './organization.entity';
import { Staff } from './staff.entity';

/**
 * A customer's dedicated hero (R1): one agent, or one inbox (a hero team), never both. When the
 * agent is deactivated the assignment stays and the agent is replaced with their inbox (R7).
 */
@ObjectType({ description: "A customer's dedicated hero: an agent, or an inbox (a hero team)." })
@Entity('dedicated_hero')
@Check('chk_dedicated_hero_one_target', '(agent_id IS NULL) <> (inbox_id IS NULL)')
@Index('idx_dedicated_hero_agent_id', ['agentId'])
export class DedicatedHero {
  @PrimaryColumn('uuid')
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: Relation<Customer>;

  @Column('uuid')
  organizationId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id' })
  organization?: Relation<Organization>;

  @Column('uuid', { nullable: true })
  agentId: string | null;

  @ManyToOne(() => Staff, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'agent_id' })
  agent?: Relation<Staff> | null;

  @Column('uuid', { nullable: true })
  inboxId: string | null;

  @ManyToOne(() => Inbox, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'inbox_id' })
  inbox?: Relation<Inbox> | null;

  @Column('varchar', { length: 16 })
  setByKind: AuthorKind;

  @Column('uuid', { nullable: true })
  setById: string | null;

  @Column('text')
  setByName: string;

  @Field()
  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  setAt: Date;
}
