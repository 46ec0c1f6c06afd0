import { arrayElements } from './chatgpt-array.js';
import { fromChatGpt } from './chatgpt-conversation.js';
import { idForReport, type ImportItem } from './import-items.js';
import { ConversationRefused } from './import.errors.js';

/** The conversations of a ChatGPT conversations.json, one at a time, in this service's line shapes. */
export async function* chatgptItems(chunks: AsyncIterable<Buffer>, maxConversationBytes: number): AsyncGenerator<ImportItem> {
  for await (const { index, value, tooLarge } of arrayElements(chunks, maxConversationBytes)) {
    const id = idForReport(
      (value as { conversation_id?: unknown; id?: unknown } | null)?.conversation_id ?? (value as { id?: unknown } | null)?.id,
    );
    if (tooLarge) {
      yield {
        kind: 'failed',
        index,
        id,
        line: null,
        reason: `is larger than IMPORT_MAX_CONVERSATION_BYTES (${maxConversationBytes} bytes)`,
      };
      continue;
    }
    yield converted(index, id, value);
  }
}

function converted(index: number, id: string | null, value: unknown): ImportItem {
  try {
    const { id: conversationId, session, messages, omitted } = fromChatGpt(value);
    return { kind: 'conversation', conversation: { index, id: conversationId, line: null, session, messages, omitted } };
  } catch (error) {
    if (!(error instanceof ConversationRefused)) throw error;
    return { kind: 'failed', index, id, line: null, reason: error.message };
  }
}
