import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { v5 as uuidV5 } from 'uuid';
import { CHATGPT_NAMESPACE } from '../../src/import/chatgpt-conversation.js';
import { API } from './factories.js';

/** Lines of the export format and the ChatGPT fixture, for the import specs. */
export const IMPORT = `${API}/users/me/import`;
export const NDJSON = 'application/x-ndjson';
export const fixture = readFileSync(new URL('../fixtures/chatgpt-conversations.json', import.meta.url), 'utf8');
export const conversations = JSON.parse(fixture) as { id: string; conversation_id: string }[];
export const chatgptSessionId = (index: number) => uuidV5(conversations[index].conversation_id, CHATGPT_NAMESPACE);

export type Line = Record<string, unknown>;
export const ndjson = (lines: Line[]) => lines.map((line) => `${JSON.stringify(line)}\n`).join('');
export const userLine = { type: 'user', version: 1, id: randomUUID(), email: 'someone@example.com' };

export function sessionLine(fields: Partial<Line> = {}): Line {
  return {
    type: 'session',
    id: randomUUID(),
    user_id: randomUUID(),
    title: 'Exported chat',
    agent_type: 'primary',
    project_id: 'proj-7',
    is_active: true,
    deactivated_reason: null,
    metadata: { source: 'web' },
    message_count: 0,
    total_tokens: 0,
    last_message_preview: null,
    created_at: '2026-11-01T10:00:00.000Z',
    updated_at: '2026-11-01T10:05:00.000Z',
    last_message_at: '2026-11-01T10:04:00.000Z',
    ...fields,
  };
}

export function messageLine(session: Line, seq: number, fields: Partial<Line> = {}): Line {
  return {
    type: 'message',
    id: randomUUID(),
    session_id: session.id,
    seq,
    role: seq % 2 === 1 ? 'user' : 'assistant',
    content: `message number ${seq} about the nightly import`,
    agent_type: 'primary',
    model: seq % 2 === 1 ? null : 'gpt-4o-mini',
    metadata: {},
    prompt_tokens: seq % 2 === 1 ? null : 100 * seq,
    completion_tokens: seq % 2 === 1 ? null : 10 * seq,
    created_at: new Date(Date.UTC(2026, 10, 1, 10, 0, seq)).toISOString(),
    updated_at: new Date(Date.UTC(2026, 10, 1, 11, 0, seq)).toISOString(),
    ...fields,
  };
}

export const usageLine = {
  type: 'usage',
  date: '2026-11-01',
  agent_type: 'primary',
  model: 'gpt-4o-mini',
  prompt_tokens: 300,
  completion_tokens: 30,
  total_tokens: 330,
  messages: 3,
};
