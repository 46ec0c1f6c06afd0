import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search that stays flat as one user's history grows (issue #12).
 * - One GIN index over (user_id, session_id, search_vector), via btree_gin: a search reads the posting
 *   lists of its words intersected with the user's (and the session's) inside the index, instead of
 *   every match of every user ANDed with the whole user_id index.
 * - (user_id, created_at, id): the newest-first walk over a user's messages for queries with more matches
 *   than are ranked (one session's walk uses its (session_id, seq) key).
 * - (user_id, title gin_trgm_ops) on visible sessions, via pg_trgm and btree_gin: `GET /sessions?search=`
 *   (ILIKE '%…%') reads the titles whose trigrams match instead of every title of the user (a count over
 *   10,000 titles: 60-100 ms; through the index: 3-8 ms).
 * btree_gin and pg_trgm are trusted extensions (PostgreSQL 13+): the database owner may create them without
 * superuser. down() drops them without CASCADE: if anything else uses them, the revert stops there with an
 * error rather than take that with it.
 */
export class SearchIndexes1795306500000 implements MigrationInterface {
  name = 'SearchIndexes1795306500000';

  async up(db: QueryRunner): Promise<void> {
    // Index builds over every message: proportional to the table, not bounded by a request's timeout.
    await db.query(`SET LOCAL statement_timeout = 0`);
    await db.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await db.query(`CREATE INDEX chat_messages_user_search_idx ON chat_messages USING gin (user_id, session_id, search_vector)`);
    await db.query(`DROP INDEX chat_messages_search_idx`);
    await db.query(`CREATE INDEX chat_messages_user_created_at_idx ON chat_messages (user_id, created_at, id)`);
    await db.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await db.query(
      `CREATE INDEX chat_sessions_user_title_trgm_idx ON chat_sessions USING gin (user_id, title gin_trgm_ops) WHERE deleted_at IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX chat_sessions_user_title_trgm_idx`);
    await db.query(`DROP EXTENSION IF EXISTS pg_trgm`);
    await db.query(`DROP INDEX chat_messages_user_created_at_idx`);
    await db.query(`CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (search_vector)`);
    await db.query(`DROP INDEX chat_messages_user_search_idx`);
    await db.query(`DROP EXTENSION IF EXISTS btree_gin`);
  }
}
