import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user.entity.js';

/**
 * Which user an email belongs to: the one table keyed by something other than the user, because emails
 * must be unique across users and login starts from one (distributed by email, not co-located).
 */
@Entity('user_emails')
@Index('user_emails_user_id_idx', ['userId'])
@Check('user_emails_email_lowercase_check', 'email = lower(email)')
export class UserEmail {
  @PrimaryColumn({ type: 'varchar', length: 254, primaryKeyConstraintName: 'user_emails_pkey' })
  email!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'user_emails_user_id_fkey' })
  user?: User;
}
