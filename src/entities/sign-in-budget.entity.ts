import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Sign-in attempts a client address may still make, whatever the email (a token bucket, refilled
 * over time): each attempt costs a password hash, so an address cannot spend CPU without bound.
 */
@Entity('sign_in_budget')
export class SignInBudget {
  @PrimaryColumn('text')
  address: string;

  @Column('double precision')
  tokens: number;

  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  updatedAt: Date;
}
