import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateModelCallReservations1795306100000 implements MigrationInterface {
  name = 'CreateModelCallReservations1795306100000';

  async up(db: QueryRunner): Promise<void> {
    // Model calls in flight, per user: the cap on concurrent calls and the token reservation live here, in
    // PostgreSQL, so they hold across instances. The key leads with user_id: every statement is one user's.
    await db.query(`
      CREATE TABLE model_call_reservations (
        user_id    uuid NOT NULL,
        id         uuid NOT NULL DEFAULT gen_random_uuid(),
        tokens     integer NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT model_call_reservations_pkey PRIMARY KEY (user_id, id),
        CONSTRAINT model_call_reservations_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT model_call_reservations_tokens_check CHECK (tokens >= 0)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE model_call_reservations`);
  }
}
