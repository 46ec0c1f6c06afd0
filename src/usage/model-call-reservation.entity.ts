import { Check, Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * A model call in flight: its row counts toward CHAT_MAX_CONCURRENT_PER_USER and holds `tokens` (the prompt
 * estimate plus the output tokens granted) against today's token limit until the reply is stored, in the
 * same transaction that records the real usage. A crashed instance's rows stop counting at `expires_at`.
 */
@Entity('model_call_reservations')
@Check('model_call_reservations_tokens_check', 'tokens >= 0')
export class ModelCallReservation {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'model_call_reservations_pkey' })
  userId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'model_call_reservations_pkey' })
  id!: string;

  @Column({ type: 'integer' })
  tokens!: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'model_call_reservations_user_id_fkey' })
  user?: User;
}
