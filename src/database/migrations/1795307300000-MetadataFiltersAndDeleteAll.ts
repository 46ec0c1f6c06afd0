import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #16, parts 4 and 5.
 * - Metadata filters (`?metadata={json}`, containment `@>`): GIN indexes with jsonb_path_ops (one entry per
 *   leaf value, the smallest GIN over jsonb that answers `@>`), led by the user like every index on user
 *   data (btree_gin, created by SearchIndexes). Partial on non-empty metadata: a non-empty filter never
 *   matches `{}`, so messages and sessions without metadata cost their appends nothing here. Messages add
 *   the session, since their filter runs within one session's history.
 * - Delete everything, for good: one erasure of kind `sessions` covers all of a user's erased sessions (the
 *   erasures table stays small however many sessions go); its batches find those sessions through a
 *   partial index on the erased ones.
 */
export class MetadataFiltersAndDeleteAll1795307300000 implements MigrationInterface {
  name = 'MetadataFiltersAndDeleteAll1795307300000';

  async up(db: QueryRunner): Promise<void> {
    // Index builds over every message: proportional to the table, not bounded by a request's timeout.
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(
      `CREATE INDEX chat_sessions_user_metadata_idx ON chat_sessions USING gin (user_id, metadata jsonb_path_ops)
        WHERE deleted_at IS NULL AND metadata <> '{}'::jsonb`,
    );
    await db.query(
      `CREATE INDEX chat_messages_user_metadata_idx ON chat_messages USING gin (user_id, session_id, role, metadata jsonb_path_ops)
        WHERE metadata <> '{}'::jsonb`,
    );
    await db.query(`CREATE INDEX chat_sessions_user_erased_idx ON chat_sessions (user_id, id) WHERE erased_at IS NOT NULL`);
    await db.query(`
      ALTER TABLE erasures
        DROP CONSTRAINT erasures_kind_check,
        DROP CONSTRAINT erasures_target_check,
        ADD CONSTRAINT erasures_kind_check CHECK (kind IN ('user', 'session', 'history', 'sessions')),
        ADD CONSTRAINT erasures_target_check
          CHECK ((kind IN ('user', 'sessions')) = (session_id IS NULL) AND (kind = 'history') = (floor_seq IS NOT NULL))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`SET LOCAL statement_timeout = 0`);
    // A pending `sessions` erasure becomes one `session` erasure per erased session it still covers.
    await db.query(`
      INSERT INTO erasures (user_id, kind, session_id)
      SELECT s.user_id, 'session', s.id FROM chat_sessions s
       WHERE s.erased_at IS NOT NULL
         AND EXISTS (SELECT 1 FROM erasures e WHERE e.user_id = s.user_id AND e.kind = 'sessions')
         AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.user_id = s.user_id AND e.session_id = s.id)`);
    await db.query(`DELETE FROM erasures WHERE kind = 'sessions'`);
    await db.query(`
      ALTER TABLE erasures
        DROP CONSTRAINT erasures_kind_check,
        DROP CONSTRAINT erasures_target_check,
        ADD CONSTRAINT erasures_kind_check CHECK (kind IN ('user', 'session', 'history')),
        ADD CONSTRAINT erasures_target_check CHECK ((kind = 'user') = (session_id IS NULL) AND (kind = 'history') = (floor_seq IS NOT NULL))`);
    await db.query(`DROP INDEX chat_sessions_user_erased_idx`);
    await db.query(`DROP INDEX chat_messages_user_metadata_idx`);
    await db.query(`DROP INDEX chat_sessions_user_metadata_idx`);
  }
}
