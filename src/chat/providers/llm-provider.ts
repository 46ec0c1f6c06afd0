export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  model: string;
  messages: LlmMessage[];
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
  /** The model a request will use: the one asked for, or the provider's default. */
  abstract modelFor(requested: string | undefined): string;

  abstract complete(request: LlmRequest): AsyncIterable<LlmEvent>;
}

/** A rough token count (about four characters per token) for providers that report none. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
