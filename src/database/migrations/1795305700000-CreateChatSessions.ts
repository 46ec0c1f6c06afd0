import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateChatSessions1795305700000 implements MigrationInterface {
  name = 'CreateChatSessions1795305700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE chat_sessions (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title                text,
        agent_type           varchar(32) NOT NULL,
        project_id           varchar(100),
        is_active            boolean NOT NULL DEFAULT true,
        deactivated_reason   varchar(16),
        metadata             jsonb NOT NULL DEFAULT '{}',
        message_count        integer NOT NULL DEFAULT 0,
        total_tokens         bigint NOT NULL DEFAULT 0,
        last_message_preview varchar(200),
        created_at           timestamptz(3) NOT NULL DEFAULT now(),
        updated_at           timestamptz(3) NOT NULL DEFAULT now(),
        last_message_at      timestamptz(3) NOT NULL DEFAULT now(),
        deleted_at           timestamptz(3),
        CONSTRAINT chat_sessions_deactivated_reason_check
          CHECK (deactivated_reason IN ('session_limit', 'ended', 'user')),
        CONSTRAINT chat_sessions_active_reason_check
          CHECK (is_active = (deactivated_reason IS NULL)),
        CONSTRAINT chat_sessions_deleted_inactive_check CHECK (deleted_at IS NULL OR NOT is_active),
        CONSTRAINT chat_sessions_metadata_object_check CHECK (jsonb_typeof(metadata) = 'object'),
        CONSTRAINT chat_sessions_counters_check CHECK (message_count >= 0 AND total_tokens >= 0)
      )`);
    // The active-session limit: the active sessions of one (user, agent type), oldest activity first.
    await db.query(`
      CREATE INDEX chat_sessions_active_idx ON chat_sessions (user_id, agent_type, last_message_at, id)
      WHERE is_active AND deleted_at IS NULL`);
    // A user's list in each order_by, with id as the keyset tie-breaker (scanned backwards for desc).
    for (const column of ['last_message_at', 'created_at', 'updated_at']) {
      await db.query(`CREATE INDEX chat_sessions_user_${column}_idx ON chat_sessions (user_id, ${column}, id) WHERE deleted_at IS NULL`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE chat_sessions`);
  }
}
