import type { UserRole } from '../common/auth/auth-user.js';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('users')
@Index('users_created_at_idx', ['createdAt', 'id'])
@Check('users_role_check', `role IN ('user', 'admin')`)
@Check('users_email_lowercase_check', 'email = lower(email)')
@Check('users_daily_token_limit_check', 'daily_token_limit >= 0')
@Check('users_daily_message_limit_check', 'daily_message_limit >= 0')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /**
   * A local account's login email, unique through user_emails (a table distributed by user cannot enforce
   * it); kept here for reading. An external user's is the provider's email claim, profile only (no
   * user_emails row), and null when the token carries none.
   */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  /** Never selected unless asked for by name, so a hash cannot reach a response by accident. */
  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100, nullable: true })
  displayName!: string | null;

  @Column({ name: 'avatar_url', type: 'varchar', length: 2048, nullable: true })
  avatarUrl!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: UserRole;

  /** Overrides DEFAULT_DAILY_TOKEN_LIMIT for this user; null means the default applies. */
  @Column({ name: 'daily_token_limit', type: 'bigint', nullable: true })
  dailyTokenLimit!: number | null;

  @Column({ name: 'daily_message_limit', type: 'integer', nullable: true })
  dailyMessageLimit!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  /** Set when the account is erased: from then on no read sees it, and the erasure worker removes it. */
  @Column({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true, select: false })
  deletedAt!: Date | null;
}
