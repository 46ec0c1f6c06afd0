import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user.entity.js';

/**
 * Which user an identity provider's subject is: `sub` is unique only per issuer, so the key is the pair.
 * Keyed by the provider's identity, not by the user (like user_emails): a token arrives with (iss, sub) and
 * the user is what it leads to. Also how `X-On-Behalf-Of` resolves an external subject.
 */
@Entity('user_identities')
@Index('user_identities_user_id_idx', ['userId'])
export class UserIdentity {
  @PrimaryColumn({ type: 'varchar', length: 512, primaryKeyConstraintName: 'user_identities_pkey' })
  issuer!: string;

  @PrimaryColumn({ type: 'varchar', length: 255, primaryKeyConstraintName: 'user_identities_pkey' })
  subject!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'user_identities_user_id_fkey' })
  user?: User;
}
