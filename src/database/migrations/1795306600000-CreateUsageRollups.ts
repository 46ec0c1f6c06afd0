import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups of usage_daily that do not grow with a user's number of sessions (see usageUpsertCtes), filled
 * from usage_daily; and the index that pages group_by=session by session id. Like usage_daily they have no
 * foreign key to sessions (usage is never refunded) and go with the user.
 */
export class CreateUsageRollups1795306600000 implements MigrationInterface {
  name = 'CreateUsageRollups1795306600000';

  async up(db: QueryRunner): Promise<void> {
    // The backfill reads all of usage_daily once (about 80 s for 2M rows on a busy 2-core machine), past the
    // app's DATABASE_STATEMENT_TIMEOUT_MS; SET LOCAL lifts it for this migration's transaction only.
    await db.query('SET LOCAL statement_timeout = 0');
    await db.query(`
      CREATE TABLE usage_daily_totals (
        user_id           uuid NOT NULL,
        day               date NOT NULL,
        agent_type        varchar(32) NOT NULL,
        model             varchar(200) NOT NULL DEFAULT '',
        prompt_tokens     bigint NOT NULL DEFAULT 0,
        completion_tokens bigint NOT NULL DEFAULT 0,
        messages          integer NOT NULL DEFAULT 0,
        user_messages     integer NOT NULL DEFAULT 0,
        CONSTRAINT usage_daily_totals_pkey PRIMARY KEY (user_id, day, agent_type, model),
        CONSTRAINT usage_daily_totals_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT usage_daily_totals_counts_check
          CHECK (prompt_tokens >= 0 AND completion_tokens >= 0 AND messages >= 0 AND user_messages >= 0)
      )`);
    await db.query(`
      INSERT INTO usage_daily_totals (user_id, day, agent_type, model, prompt_tokens, completion_tokens, messages, user_messages)
      SELECT user_id, day, agent_type, model, sum(prompt_tokens), sum(completion_tokens), sum(messages), sum(user_messages)
        FROM usage_daily GROUP BY user_id, day, agent_type, model`);

    await db.query(`
      CREATE TABLE usage_periods (
        user_id           uuid NOT NULL,
        span_days         smallint NOT NULL,
        start_day         date NOT NULL,
        prompt_tokens     bigint NOT NULL DEFAULT 0,
        completion_tokens bigint NOT NULL DEFAULT 0,
        messages          integer NOT NULL DEFAULT 0,
        CONSTRAINT usage_periods_pkey PRIMARY KEY (user_id, span_days, start_day),
        CONSTRAINT usage_periods_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT usage_periods_span_check CHECK (span_days IN (1, 2, 8, 32)),
        CONSTRAINT usage_periods_counts_check CHECK (prompt_tokens >= 0 AND completion_tokens >= 0 AND messages >= 0)
      )`);
    await db.query(`
      INSERT INTO usage_periods (user_id, span_days, start_day, prompt_tokens, completion_tokens, messages)
      SELECT t.user_id, span.days, DATE '1970-01-01' + (t.day - DATE '1970-01-01') / span.days * span.days,
             sum(t.prompt_tokens), sum(t.completion_tokens), sum(t.messages)
        FROM usage_daily_totals t CROSS JOIN (VALUES (1::smallint), (2::smallint), (8::smallint), (32::smallint)) AS span(days)
       GROUP BY 1, 2, 3
       ORDER BY 3, 2`);
    // The admin report reads given blocks across all users: the one key on usage that does not lead with
    // user_id. Rows were filled in block order above, as appends fill them over time, so a block's rows sit together.
    await db.query(`CREATE INDEX usage_periods_span_start_idx ON usage_periods (span_days, start_day)`);

    // group_by=session walks one user's sessions in id order; the report across users no longer reads usage_daily by day.
    await db.query(`CREATE INDEX usage_daily_session_idx ON usage_daily (user_id, session_id, day)`);
    await db.query(`DROP INDEX usage_daily_day_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX usage_daily_day_idx ON usage_daily (day)`);
    await db.query(`DROP INDEX usage_daily_session_idx`);
    await db.query(`DROP TABLE usage_periods`);
    await db.query(`DROP TABLE usage_daily_totals`);
  }
}
