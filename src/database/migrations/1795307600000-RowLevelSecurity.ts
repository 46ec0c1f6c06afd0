import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables that hold one user's conversations and usage; each row names its user in user_id. */
export const ROW_SECURED_TABLES = [
  'chat_sessions',
  'chat_messages',
  'usage_daily',
  'usage_daily_totals',
  'usage_periods',
  'model_call_reservations',
] as const;

/**
 * A row is visible, and may be written, when the statement runs in the app's explicit system scope
 * (`chat.system`) or the row belongs to the user it runs for (`chat.user_id`, set per request by the app).
 * Unset (a connection no request has set, a login) matches nothing.
 *
 * A CASE, not `user_id = … OR …`: the planner estimates a comparison of user_id from its statistics, as
 * 1/(number of users), and multiplies that with the statement's own `user_id = $1`, so with many users it
 * would expect a handful of rows where there are thousands and choose plans made for a handful (a bitmap
 * scan and a sort of a whole session instead of walking its index for one page). A CASE it estimates as
 * one half, whatever the data.
 */
const VISIBLE = `CASE WHEN current_setting('chat.system', true) = 'on' THEN true ELSE user_id = NULLIF(current_setting('chat.user_id', true), '')::uuid END`;

/**
 * Row-level security as a second wall (issue #15): every statement on these tables already says
 * `user_id = <caller>`; the policies make one that forgets see nothing foreign. They bind only roles that
 * do not own the tables: the owner (who runs migrations, and the app itself while DATABASE_RLS=off)
 * bypasses them, so this migration changes nothing until the app connects as its own role.
 */
export class RowLevelSecurity1795307600000 implements MigrationInterface {
  name = 'RowLevelSecurity1795307600000';

  async up(db: QueryRunner): Promise<void> {
    for (const table of ROW_SECURED_TABLES) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`CREATE POLICY ${table}_by_user ON ${table} USING (${VISIBLE}) WITH CHECK (${VISIBLE})`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ROW_SECURED_TABLES) {
      await db.query(`DROP POLICY ${table}_by_user ON ${table}`);
      await db.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
  }
}
