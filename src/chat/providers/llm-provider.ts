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

/** Per-message framing tokens in chat formats (role markers, separators), with room to spare. */
const TOKENS_PER_MESSAGE = 4;

/**
 * An upper bound of the prompt's tokens, for reserving quota before a call: a byte-level tokenizer never
 * makes more tokens than the text has UTF-8 bytes, whatever the script (the chars/4 estimate can be four
 * times too low for CJK text), plus the framing of each message.
 */
export function promptTokensUpperBound(messages: LlmMessage[]): number {
  return messages.reduce((sum, message) => sum + Buffer.byteLength(message.content, 'utf8') + TOKENS_PER_MESSAGE, TOKENS_PER_MESSAGE);
}
