import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import type { MessageRole } from '../messages/message.entity.js';
import { COUNTED_ROLES, ROLE_COUNTS } from './role-counts.js';
import { ChatSession } from './session.entity.js';

export interface SessionCounts {
  messageCount: number;
  byRole: Record<MessageRole, number>;
  promptTokens: number;
  completionTokens: number;
  firstMessageAt: Date | null;
  lastMessageAt: Date;
}

/** What a deleted message takes off its session's counters. */
export interface DeletedMessage {
  role: MessageRole;
  promptTokens: number | null;
  completionTokens: number | null;
}

/** Every counter of an empty history. */
const EMPTY_HISTORY = {
  messageCount: 0,
  ...Object.fromEntries(COUNTED_ROLES.map((role) => [ROLE_COUNTS[role].property, 0])),
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  firstMessageAt: null,
} satisfies Partial<ChatSession>;

/**
 * The chat_sessions statements the messages module needs, owned here so the sessions table has one home.
 * Each is scoped by the caller's user_id. Writes run inside the caller's transaction, after `lock()` (or
 * `lockHolding()`) took the session row, so counters and preview move with the messages. The one-statement
 * append (messages.sql.ts) is the exception by design: it moves the counters in the same statement that
 * inserts the messages. They go through TypeORM on the ChatSession entity, except lockHolding(), which locks
 * the session row of a message found through a join (FOR UPDATE OF s).
 */
@Injectable()
export class SessionCounters {
  constructor(private readonly dataSource: DataSource) {}

  /** The counters kept on the session row, or null when the session is missing, another user's, or soft-deleted. */
  async stats(userId: string, sessionId: string): Promise<SessionCounts | null> {
    const row = await this.dataSource.manager.findOne(ChatSession, {
      select: {
        messageCount: true,
        userMessageCount: true,
        assistantMessageCount: true,
        systemMessageCount: true,
        toolMessageCount: true,
        promptTokens: true,
        completionTokens: true,
        firstMessageAt: true,
        lastMessageAt: true,
      },
      where: { id: sessionId, userId, deletedAt: IsNull() },
    });
    if (!row) return null;
    const { messageCount, promptTokens, completionTokens, firstMessageAt, lastMessageAt } = row;
    const byRole = Object.fromEntries(COUNTED_ROLES.map((role) => [role, row[ROLE_COUNTS[role].property]])) as Record<MessageRole, number>;
    return { messageCount, byRole, promptTokens, completionTokens, firstMessageAt, lastMessageAt };
  }

  async lock(manager: EntityManager, userId: string, sessionId: string): Promise<boolean> {
    const row = await manager.findOne(ChatSession, {
      select: { id: true },
      where: { id: sessionId, userId, deletedAt: IsNull() },
      lock: { mode: 'pessimistic_write' },
    });
    return row !== null;
  }

  /** Row-locks the session holding this message of the user's. */
  async lockHolding(manager: EntityManager, userId: string, messageId: string): Promise<{ session_id: string; last_seq: number } | null> {
    const [row] = await manager.query(
      `SELECT s.id AS session_id, s.last_seq FROM chat_sessions s JOIN chat_messages m ON m.user_id = s.user_id AND m.session_id = s.id
        WHERE m.id = $1 AND m.user_id = $2 AND s.user_id = $2 AND s.deleted_at IS NULL AND m.seq > s.history_floor_seq
          FOR UPDATE OF s`,
      [messageId, userId],
    );
    return row ?? null;
  }

  /**
   * After one message was deleted: its role's count and its tokens come off, first_message_at and the
   * preview come from the oldest and the latest remaining messages (index lookups on seq).
   */
  async messageDeleted(manager: EntityManager, userId: string, sessionId: string, deleted: DeletedMessage): Promise<void> {
    const roleCount = ROLE_COUNTS[deleted.role];
    const remaining =
      'FROM chat_messages WHERE user_id = :userId AND session_id = :sessionId AND seq > chat_sessions.history_floor_seq ORDER BY seq';
    await manager
      .createQueryBuilder()
      .update(ChatSession)
      .set({
        messageCount: () => 'message_count - 1',
        [roleCount.property]: () => `${roleCount.column} - 1`,
        promptTokens: () => 'prompt_tokens - :prompt',
        completionTokens: () => 'completion_tokens - :completion',
        totalTokens: () => 'total_tokens - :prompt - :completion',
        firstMessageAt: () => `(SELECT created_at ${remaining} LIMIT 1)`,
        lastMessagePreview: () => `(SELECT left(content, 200) ${remaining} DESC LIMIT 1)`,
        updatedAt: () => 'now()',
      })
      .where('id = :sessionId AND user_id = :userId', {
        sessionId,
        userId,
        prompt: deleted.promptTokens ?? 0,
        completion: deleted.completionTokens ?? 0,
      })
      .execute();
  }

  async setPreview(manager: EntityManager, userId: string, sessionId: string, content: string): Promise<void> {
    await manager.update(
      ChatSession,
      { id: sessionId, userId },
      { lastMessagePreview: Array.from(content).slice(0, 200).join(''), updatedAt: () => 'now()' },
    );
  }

  /**
   * Clears the history: counters at zero, and every message so far falls below the history floor, invisible
   * at once (the erasure worker deletes it). seq goes on from last_seq, so a number is never reused and an old
   * cursor never lands among new messages. Returns the floor.
   */
  async historyCleared(manager: EntityManager, userId: string, sessionId: string): Promise<number> {
    const { raw } = await manager
      .createQueryBuilder()
      .update(ChatSession)
      .set({ ...EMPTY_HISTORY, historyFloorSeq: () => 'last_seq', lastMessagePreview: null, updatedAt: () => 'now()' })
      .where('id = :sessionId AND user_id = :userId', { sessionId, userId })
      .returning('history_floor_seq')
      .execute();
    return (raw as { history_floor_seq: number }[])[0].history_floor_seq;
  }
}
