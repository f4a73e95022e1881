import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Failed sign-ins per email and client address, shared by every instance so that throttling
 * holds behind a balancer. Keyed by both: failures from one address never lock the owner of the
 * email out of another.
 */
@Entity('sign_in_throttle')
export class SignInThrottle {
  @PrimaryColumn('text')
  email: string;

  @PrimaryColumn('text')
  address: string;

  @Column('integer', { default: 0 })
  failures: number;

  @Column('timestamp with time zone', { precision: 3, default: () => 'now()' })
  lastFailureAt: Date;

  @Column('timestamp with time zone', { precision: 3, nullable: true })
  blockedUntil: Date | null;
}
