import type { LlmMessage } from './providers/llm-provider.js';

export interface StoredMessage {
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string;
}

export interface ContextLimits {
  systemPrompt: string | undefined;
  maxMessages: number;
  maxChars: number;
  /** CHAT_CONTEXT_CLIENT_SYSTEM: pass on system messages that clients appended (off by default). */
  clientSystemMessages: boolean;
}

/**
 * What the model sees: the agent's system prompt (the operator's, always first), then the newest messages
 * (oldest first) that fit in maxMessages and maxChars. Older messages are dropped first; the newest one is
 * always kept. System messages a client appended are stored but left out unless allowed, so a client
 * cannot override the operator's instructions. Stored tool output has no tool call to attach to, so it is
 * passed on as a labelled user message, never with system authority.
 */
export function contextWindow(history: StoredMessage[], limits: ContextLimits): LlmMessage[] {
  const kept: LlmMessage[] = [];
  let chars = 0;
  const visible = limits.clientSystemMessages ? history : history.filter((message) => message.role !== 'system');
  for (const message of visible.slice(-limits.maxMessages).reverse()) {
    chars += message.content.length;
    if (kept.length > 0 && chars > limits.maxChars) break;
    kept.push(
      message.role === 'tool'
        ? { role: 'user', content: `Tool output:\n${message.content}` }
        : { role: message.role, content: message.content },
    );
  }
  kept.reverse();
  return limits.systemPrompt ? [{ role: 'system', content: limits.systemPrompt }, ...kept] : kept;
}
