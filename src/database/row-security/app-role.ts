import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/** The role the service creates for itself where it creates the database too (the embedded server). */
export const EMBEDDED_APP_ROLE = 'chat_app';

const DATA_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * As a role allowed to create roles (the embedded server's superuser; the test and bench setups): makes
 * `role` an ordinary login role, without superuser or BYPASSRLS, with a fresh password, and returns the
 * owner's URL with that role's credentials. A fresh password each time: nothing needs to keep it.
 */
export async function provisionAppRole(ownerUrl: string, role = EMBEDDED_APP_ROLE): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const verb = rowCount ? 'ALTER' : 'CREATE';
    await client.query(
      `${verb} ROLE ${client.escapeIdentifier(role)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD ${client.escapeLiteral(password)}`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

/**
 * As the owner, inside the migration transaction (so instances starting together take turns): lets `role`
 * read and write the app's tables, and nothing else (no DDL, not the migrations table). Only what is
 * missing is granted, so a restart changes no catalog row.
 */
export async function grantAppRole(owner: QueryRunner, role: string, tables: string[]): Promise<string[]> {
  const checks = DATA_PRIVILEGES.map((privilege) => `has_table_privilege($1, t, '${privilege}')`).join(' AND ');
  const missing = (await owner.query(`SELECT t FROM unnest($2::text[]) AS t WHERE NOT (${checks})`, [role, tables])) as { t: string }[];
  const [schema] = (await owner.query(`SELECT current_schema() AS name, has_schema_privilege($1, current_schema(), 'USAGE') AS usable`, [
    role,
  ])) as { name: string; usable: boolean }[];
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  if (!schema.usable) await owner.query(`GRANT USAGE ON SCHEMA ${quote(schema.name)} TO ${quote(role)}`);
  for (const { t } of missing) await owner.query(`GRANT ${DATA_PRIVILEGES.join(', ')} ON TABLE ${quote(t)} TO ${quote(role)}`);
  return missing.map(({ t }) => t);
}

/**
 * The app's own connection must be bound by the policies: a superuser, a BYPASSRLS role or the tables'
 * owner (or a member of it) would see everything, and DATABASE_RLS=on would only cost time.
 */
export async function assertBoundByPolicies(app: DataSource): Promise<string> {
  const [row] = (await app.query(`
    SELECT current_user AS role, r.rolsuper OR r.rolbypassrls AS bypasses, pg_has_role(current_user, c.relowner, 'USAGE') AS owns
      FROM pg_roles r, pg_class c
     WHERE r.rolname = current_user AND c.oid = 'chat_sessions'::regclass`)) as { role: string; bypasses: boolean; owns: boolean }[];
  if (row.bypasses || row.owns) {
    throw new Error(
      `DATABASE_RLS=on, but the app connects as "${row.role}", which ${row.owns ? 'owns the tables' : 'bypasses row-level security'}: ` +
        'set DATABASE_APP_URL to a role of its own (README, "Row-level security")',
    );
  }
  return row.role;
}
