import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ErasureWorker } from './erasure.worker.js';

/**
 * Queues erasures. Each `queue…` runs inside the caller's transaction, the one that hides the data, so the
 * data is either hidden and queued or neither. After that transaction commits, `started()` wakes this
 * instance's worker so a small erasure is done within moments rather than at the next interval.
 *
 * An erasure that covers another replaces it (a user's covers all of theirs; all sessions' covers each
 * session's and history's; a session's covers its history's; a later clear of a history covers the earlier
 * one), and `sessions` leaves alone a session erased later with an erasure of its own: two workers never
 * delete the same rows.
 */
@Injectable()
export class ErasuresService {
  constructor(private readonly worker: ErasureWorker) {}

  async queueUser(manager: EntityManager, userId: string): Promise<void> {
    await manager.query('DELETE FROM erasures WHERE user_id = $1', [userId]);
    await manager.query(`INSERT INTO erasures (user_id, kind) VALUES ($1, 'user')`, [userId]);
  }

  async queueSession(manager: EntityManager, userId: string, sessionId: string): Promise<void> {
    await manager.query('DELETE FROM erasures WHERE user_id = $1 AND session_id = $2', [userId, sessionId]);
    await manager.query(`INSERT INTO erasures (user_id, kind, session_id) VALUES ($1, 'session', $2)`, [userId, sessionId]);
  }

  /** queueSession for many sessions (of any users) at once, in two statements: retention's batches. */
  async queueEachSession(manager: EntityManager, sessions: { userId: string; sessionId: string }[]): Promise<void> {
    if (sessions.length === 0) return;
    const columns = [sessions.map((s) => s.userId), sessions.map((s) => s.sessionId)];
    const targets = 'unnest($1::uuid[], $2::uuid[]) AS t(user_id, session_id)';
    await manager.query(`DELETE FROM erasures e USING ${targets} WHERE e.user_id = t.user_id AND e.session_id = t.session_id`, columns);
    await manager.query(`INSERT INTO erasures (user_id, kind, session_id) SELECT user_id, 'session', session_id FROM ${targets}`, columns);
  }

  /** Messages of the session with seq <= floorSeq. */
  async queueHistory(manager: EntityManager, userId: string, sessionId: string, floorSeq: number): Promise<void> {
    await manager.query(`DELETE FROM erasures WHERE user_id = $1 AND session_id = $2 AND kind = 'history'`, [userId, sessionId]);
    await manager.query(`INSERT INTO erasures (user_id, kind, session_id, floor_seq) VALUES ($1, 'history', $2, $3)`, [
      userId,
      sessionId,
      floorSeq,
    ]);
  }

  /**
   * Every erased session of the user, for a caller that has just erased all of them (DELETE /sessions
   * ?permanent=true): that covers every session and history erasure the user had, so those go.
   */
  async queueAllSessions(manager: EntityManager, userId: string): Promise<void> {
    await manager.query(`DELETE FROM erasures WHERE user_id = $1 AND kind <> 'user'`, [userId]);
    await manager.query(`INSERT INTO erasures (user_id, kind) VALUES ($1, 'sessions')`, [userId]);
  }

  /** Call after the queuing transaction committed. */
  started(): void {
    this.worker.wake();
  }
}
