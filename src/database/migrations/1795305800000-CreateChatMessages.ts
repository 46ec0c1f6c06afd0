import type { MigrationInterface, QueryRunner } from 'typeorm';
import { searchVectorExpression } from '../search-vector.js';

export class CreateChatMessages1795305800000 implements MigrationInterface {
  name = 'CreateChatMessages1795305800000';

  async up(db: QueryRunner): Promise<void> {
    // The last seq handed out in the session; appends take the next one while holding the session row lock.
    await db.query(`ALTER TABLE chat_sessions ADD COLUMN last_seq integer NOT NULL DEFAULT 0`);
    await db.query(`
      CREATE TABLE chat_messages (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id        uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
        user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        seq               integer NOT NULL,
        role              varchar(16) NOT NULL,
        content           text NOT NULL,
        agent_type        varchar(32) NOT NULL,
        model             varchar(200),
        metadata          jsonb NOT NULL DEFAULT '{}',
        prompt_tokens     integer,
        completion_tokens integer,
        created_at        timestamptz(3) NOT NULL DEFAULT now(),
        updated_at        timestamptz(3) NOT NULL DEFAULT now(),
        search_vector     tsvector GENERATED ALWAYS AS (${searchVectorExpression()}) STORED,
        CONSTRAINT chat_messages_session_seq_key UNIQUE (session_id, seq),
        CONSTRAINT chat_messages_role_check CHECK (role IN ('user', 'assistant', 'system', 'tool')),
        CONSTRAINT chat_messages_tokens_check CHECK (prompt_tokens >= 0 AND completion_tokens >= 0),
        CONSTRAINT chat_messages_seq_check CHECK (seq > 0),
        CONSTRAINT chat_messages_metadata_object_check CHECK (jsonb_typeof(metadata) = 'object')
      )`);
    // (session_id, seq) above serves keyset history in both directions; these serve search and user deletion.
    await db.query(`CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (search_vector)`);
    await db.query(`CREATE INDEX chat_messages_user_id_idx ON chat_messages (user_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE chat_messages`);
    await db.query(`ALTER TABLE chat_sessions DROP COLUMN last_seq`);
  }
}
