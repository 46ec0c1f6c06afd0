import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Schema description for TypeORM; written by the append statement (see usageUpsertCte) and read with SQL. */
@Entity('usage_daily')
export class UsageDay {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ name: 'agent_type', type: 'varchar', length: 32 })
  agentType!: string;

  @PrimaryColumn({ type: 'varchar', length: 200, default: '' })
  model!: string;

  @PrimaryColumn({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 })
  promptTokens!: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 })
  completionTokens!: number;

  @Column({ type: 'integer', default: 0 })
  messages!: number;

  @Column({ name: 'user_messages', type: 'integer', default: 0 })
  userMessages!: number;
}
