export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  model: string;
  messages: LlmMessage[];
  /** The most the reply may spend (LLM_MAX_OUTPUT_TOKENS, or less when the daily quota leaves less). */
  maxOutputTokens: number;
  /** Aborted when the client goes away or the deadline passes; the provider must stop promptly. */
  signal: AbortSignal;
}

export interface LlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type LlmEvent = { type: 'delta'; content: string } | { type: 'end'; model: string; finishReason: string; usage: LlmUsage | null };

/** The model call failed (HTTP error, broken or incomplete stream). The message says what, never with secrets. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

/**
 * A chat model. complete() streams the reply as deltas and ends with one `end` event; it throws
 * UpstreamError when the model fails. Adding a provider means adding a class and registering it in
 * ChatModule, nothing in the chat service.
 */
export abstract class LlmProvider {
  /** The model a turn uses when it names none; always allowed, whatever LLM_MODELS says. */
  abstract readonly defaultModel: string;

  abstract complete(request: LlmRequest): AsyncIterable<LlmEvent>;
}

export const CHARS_PER_TOKEN = 4;

/** A rough token count (about four characters per token) for providers that report none, and for reservations. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** The estimate for a whole prompt, as reserved before a call and recorded when a provider reports none. */
export function estimatePromptTokens(messages: LlmMessage[]): number {
  return estimateTokens(messages.map((message) => message.content).join('\n'));
}
