import type { LlmMessage } from './providers/llm-provider.js';

export interface StoredMessage {
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string;
}

export interface ContextLimits {
  systemPrompt: string | undefined;
  maxMessages: number;
  maxChars: number;
}

/**
 * What the model sees: the agent's system prompt, then the newest messages (oldest first) that fit in
 * maxMessages and maxChars. Older messages are dropped first; the newest one is always kept. Stored tool
 * output has no tool call to attach to, so it is passed on as a system note.
 */
export function contextWindow(history: StoredMessage[], limits: ContextLimits): LlmMessage[] {
  const kept: LlmMessage[] = [];
  let chars = 0;
  for (const message of history.slice(-limits.maxMessages).reverse()) {
    chars += message.content.length;
    if (kept.length > 0 && chars > limits.maxChars) break;
    kept.push(
      message.role === 'tool'
        ? { role: 'system', content: `Tool output:\n${message.content}` }
        : { role: message.role, content: message.content },
    );
  }
  kept.reverse();
  return limits.systemPrompt ? [{ role: 'system', content: limits.systemPrompt }, ...kept] : kept;
}
