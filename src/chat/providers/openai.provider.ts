import OpenAI, { APIError } from 'openai';
import { LlmProvider, UpstreamError, type LlmEvent, type LlmRequest } from './llm-provider.js';

export interface OpenAiSettings {
  baseUrl: string | undefined;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
}

/**
 * Any OpenAI-compatible Chat Completions API (OpenAI, Azure OpenAI, vLLM, Ollama, LiteLLM) through the
 * official SDK, streaming with a usage report. No retries: the caller has one deadline for the whole turn.
 */
export class OpenAiProvider extends LlmProvider {
  private readonly client: OpenAI;

  constructor(private readonly settings: OpenAiSettings) {
    super();
    this.client = new OpenAI({
      baseURL: settings.baseUrl,
      // Local servers (vLLM, Ollama) accept any key; the SDK insists on one.
      apiKey: settings.apiKey ?? 'unused',
      timeout: settings.timeoutMs,
      maxRetries: 0,
    });
  }

  get defaultModel(): string {
    return this.settings.model;
  }

  async *complete({ model, messages, maxOutputTokens, signal }: LlmRequest): AsyncIterable<LlmEvent> {
    let finishReason = 'stop';
    let usage: { prompt_tokens: number; completion_tokens: number } | null = null;
    let answeredModel = model;
    try {
      const stream = await this.client.chat.completions.create(
        // max_completion_tokens, not the deprecated max_tokens that OpenAI's reasoning models refuse.
        { model: answeredModel, messages, max_completion_tokens: maxOutputTokens, stream: true, stream_options: { include_usage: true } },
        { signal },
      );
      for await (const chunk of stream) {
        answeredModel = chunk.model || answeredModel;
        if (chunk.usage) usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens };
        const choice = chunk.choices[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (choice?.delta?.content) yield { type: 'delta', content: choice.delta.content };
      }
    } catch (error) {
      if (signal.aborted) return;
      throw new UpstreamError(
        error instanceof APIError && error.status
          ? `the model provider answered HTTP ${error.status}`
          : 'the model provider could not be reached',
      );
    }
    // An aborted stream ends quietly instead of throwing: never report it as a complete answer.
    if (signal.aborted) return;
    yield { type: 'end', model: answeredModel, finishReason, usage };
  }
}
