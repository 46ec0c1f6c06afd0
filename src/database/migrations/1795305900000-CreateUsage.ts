import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsage1795305900000 implements MigrationInterface {
  name = 'CreateUsage1795305900000';

  async up(db: QueryRunner): Promise<void> {
    // Per-user overrides of DEFAULT_DAILY_*_LIMIT; NULL means the default applies.
    await db.query(`
      ALTER TABLE users
        ADD COLUMN daily_token_limit bigint CONSTRAINT users_daily_token_limit_check CHECK (daily_token_limit >= 0),
        ADD COLUMN daily_message_limit integer CONSTRAINT users_daily_message_limit_check CHECK (daily_message_limit >= 0)`);
    // What was spent, per user, UTC day, agent type, model and session, written in the append's own statement.
    // No foreign key to sessions: usage outlives deleted messages and sessions (it is never refunded).
    await db.query(`
      CREATE TABLE usage_daily (
        user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        day               date NOT NULL,
        agent_type        varchar(32) NOT NULL,
        model             varchar(200) NOT NULL DEFAULT '',
        session_id        uuid NOT NULL,
        prompt_tokens     bigint NOT NULL DEFAULT 0,
        completion_tokens bigint NOT NULL DEFAULT 0,
        messages          integer NOT NULL DEFAULT 0,
        user_messages     integer NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day, agent_type, model, session_id),
        CONSTRAINT usage_daily_counts_check
          CHECK (prompt_tokens >= 0 AND completion_tokens >= 0 AND messages >= 0 AND user_messages >= 0)
      )`);
    // The admin leaderboard reads a date range across all users.
    await db.query(`CREATE INDEX usage_daily_day_idx ON usage_daily (day)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE usage_daily`);
    await db.query(`ALTER TABLE users DROP COLUMN daily_message_limit, DROP COLUMN daily_token_limit`);
  }
}
