import type { MigrationInterface, QueryRunner } from 'typeorm';
import { searchVectorExpression } from '../search-vector.js';

/**
 * TypeORM keeps the expression of each generated column in its own typeorm_metadata table (PostgreSQL's
 * catalog formats it differently). Without the table the schema builder, and so `migration:generate`,
 * fails; without the row it would drop and re-add chat_messages.search_vector. The table is exactly the
 * one TypeORM would create; its migration runner already creates it before running migrations once an
 * entity declares a generated column, hence IF NOT EXISTS.
 */
export class RegisterGeneratedColumns1795306000000 implements MigrationInterface {
  name = 'RegisterGeneratedColumns1795306000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE IF NOT EXISTS "typeorm_metadata" (
        "type"     character varying NOT NULL,
        "database" character varying,
        "schema"   character varying,
        "table"    character varying,
        "name"     character varying,
        "value"    text
      )`);
    await db.query(
      `INSERT INTO "typeorm_metadata" ("type", "database", "schema", "table", "name", "value")
       VALUES ('GENERATED_COLUMN', current_database(), current_schema(), 'chat_messages', 'search_vector', $1)`,
      [searchVectorExpression()],
    );
  }

  /** The table stays, like typeorm_migrations: TypeORM's runner recreates it before each migration anyway. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `DELETE FROM "typeorm_metadata" WHERE "type" = 'GENERATED_COLUMN' AND "table" = 'chat_messages' AND "name" = 'search_vector'`,
    );
  }
}
