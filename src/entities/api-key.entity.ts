import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { Role } from './enums';
import { OrganizationRecord } from './organization-record';

@ObjectType({ description: 'An organization-scoped key for partners. The secret is shown once.' })
@Entity('api_key')
@Index('idx_api_key_organization_id', ['organizationId'])
@Index('uq_api_key_secret_hash', ['secretHash'], { unique: true })
export class ApiKey extends OrganizationRecord {
  @Field()
  @Column('text')
  name: string;

  @Field(() => Role)
  @Column('varchar', { length: 16 })
  role: Role;

  /** sha256 of the whole key. */
  @Column('text')
  secretHash: string;

  @Column('uuid', { nullable: true })
  createdById: string | null;

  @Field()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  @Column('timestamp with time zone', { precision: 3, nullable: true })
  revokedAt: Date | null;
}
