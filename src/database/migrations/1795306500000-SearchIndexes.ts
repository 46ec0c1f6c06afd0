import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search that stays flat as one user's history grows (issue #12).
 * - One GIN index over (user_id, session_id, search_vector), via btree_gin: a search reads the posting
 *   lists of its words intersected with the user's (and the session's) inside the index, instead of
 *   every match of every user ANDed with the whole user_id index.
 * - (user_id, created_at, id): the newest-first walk over a user's messages for queries with more matches
 *   than are ranked (one session's walk uses its (session_id, seq) key).
 * btree_gin is a trusted extension (PostgreSQL 13+): the database owner may create it without superuser.
 * down() drops it again only if nothing else uses it (no CASCADE).
 */
export class SearchIndexes1795306500000 implements MigrationInterface {
  name = 'SearchIndexes1795306500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await db.query(`CREATE INDEX chat_messages_user_search_idx ON chat_messages USING gin (user_id, session_id, search_vector)`);
    await db.query(`DROP INDEX chat_messages_search_idx`);
    await db.query(`CREATE INDEX chat_messages_user_created_at_idx ON chat_messages (user_id, created_at, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX chat_messages_user_created_at_idx`);
    await db.query(`CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (search_vector)`);
    await db.query(`DROP INDEX chat_messages_user_search_idx`);
    await db.query(`DROP EXTENSION IF EXISTS btree_gin`);
  }
}
