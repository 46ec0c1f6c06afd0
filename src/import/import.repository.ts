import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { ConversationRefused } from './import.errors.js';
import { IMPORT_CONVERSATION_SQL, importConversationParams, type ImportedConversation } from './import.sql.js';

/** Stores imported conversations; every statement carries the importing user's id. */
@Injectable()
export class ImportRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The number of messages stored, or null when the account already has this session (nothing stored). */
  async store(userId: string, conversation: ImportedConversation): Promise<number | null> {
    try {
      // A transaction of its own for the timeouts every transaction sets (TransactionSettings); the work is one statement.
      const [row] = (await this.dataSource.transaction((tx) =>
        tx.query(IMPORT_CONVERSATION_SQL, importConversationParams(userId, conversation)),
      )) as { sessions: number; messages: number }[];
      return row.sessions === 0 ? null : row.messages;
    } catch (error) {
      throw refusalFor(error) ?? error;
    }
  }
}

/** What the database refuses because of this conversation's own data; anything else is not its fault. */
function refusalFor(error: unknown): ConversationRefused | null {
  if (!(error instanceof QueryFailedError)) return null;
  const code = (error.driverError as { code?: string }).code ?? '';
  if (code === '23505') return new ConversationRefused('a message id is already used by another session of this account');
  if (code.startsWith('22')) return new ConversationRefused('holds a value the database cannot store (such as a NUL character)');
  return null;
}
