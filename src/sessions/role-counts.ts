import type { MessageRole } from '../messages/message.entity.js';

/**
 * Where the session row keeps each role's count of messages: its column and its ChatSession property.
 * Column names in SQL come from here, never from a request. Free of framework imports, like messages.sql.ts.
 */
export const ROLE_COUNTS = {
  user: { column: 'user_message_count', property: 'userMessageCount' },
  assistant: { column: 'assistant_message_count', property: 'assistantMessageCount' },
  system: { column: 'system_message_count', property: 'systemMessageCount' },
  tool: { column: 'tool_message_count', property: 'toolMessageCount' },
} as const satisfies Record<MessageRole, { column: string; property: string }>;

export const COUNTED_ROLES = Object.keys(ROLE_COUNTS) as MessageRole[];
