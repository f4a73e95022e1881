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
import { ContactKind } from './enums';
import { Customer } from './customer.entity';
import { OrganizationRecord } from './organization-record';

@ObjectType({
  description: 'One way to reach a customer: a phone number, an email, a messaging id.',
})
@Entity('contact')
@Index('uq_contact_value', ['organizationId', 'kind', 'value'], { unique: true })
@Index('idx_contact_customer_id', ['customerId'])
// Search (A1): partial phone numbers and email prefixes; made by migration AssistedService.
@Index('idx_contact_value_trgm', { synchronize: false })
export class Contact extends OrganizationRecord {
  @Column('uuid')
  customerId: string;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'customer_id' })
  customer?: Relation<Customer>;

  @Field(() => ContactKind)
  @Column('varchar', { length: 16 })
  kind: ContactKind;

  @Field({ description: 'Normalized: E.164 for phone numbers, lower-case for emails.' })
  @Column('text')
  value: string;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
