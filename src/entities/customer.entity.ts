import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, UpdateDateColumn } from 'typeorm';
import { OrganizationRecord } from './organization-record';

@ObjectType({ description: 'An end user of the organization, reachable through their contacts.' })
@Entity('customer')
@Index('idx_customer_organization_id_name', ['organizationId', 'name', 'id'])
@Index('uq_customer_username', ['organizationId', 'username'], {
  unique: true,
  where: 'username IS NOT NULL',
})
// Search indexes (A1), made by migration AssistedService: TypeORM cannot declare expression or
// GIN indexes, so they are only named here, which keeps the schema builder from dropping them.
@Index('idx_customer_name_trgm', { synchronize: false })
@Index('idx_customer_username_trgm', { synchronize: false })
@Index('idx_customer_postal_address_words', { synchronize: false })
export class Customer extends OrganizationRecord {
  @Field()
  @Column('text')
  name: string;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  username: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  email: string | null;

  @Field(() => String, { nullable: true, description: 'E.164, e.g. +14155550100.' })
  @Column('text', { nullable: true })
  phone: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  postalAddress: string | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field()
  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt: Date;

  @Field({ description: 'Last conversation started or message exchanged with this customer.' })
  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  lastActivityAt: Date;
}
