import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { ClientSession } from './client-session.entity';

/**
 * The ticket a window has open (L8): while it is open here, the lock its person holds stays when
 * another of their windows lets go. A mark, not a relation to the conversation: it goes when the
 * lock is freed. Kept out of `client_session` so that opening and releasing a ticket do not change
 * an indexed column of the window's row: its update stays HOT (no new entry in any of that
 * table's indexes, the sign-in token's included). Written only by src/services/lock/lock.sql.
 */
@Entity('window_open_ticket')
@Index('idx_window_open_ticket_conversation_id', ['conversationId'])
export class WindowOpenTicket {
  @PrimaryColumn('uuid')
  sessionId: string;

  @ManyToOne(() => ClientSession, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Relation<ClientSession>;

  @Column('uuid')
  conversationId: string;
}
