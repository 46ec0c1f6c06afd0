import { setImmediate as nextTick } from 'node:timers/promises';
import { CHARS_PER_TOKEN, estimatePromptTokens, estimateTokens, LlmProvider, type LlmEvent, type LlmRequest } from './llm-provider.js';

/**
 * Offline and deterministic: answers by echoing the last user message, word by word, as a model would
 * stream. Token counts are estimated; like a real model it stops at maxOutputTokens (finish reason
 * `length`). The default when no provider is configured.
 */
export class EchoProvider extends LlmProvider {
  readonly defaultModel = 'echo';

  async *complete({ messages, maxOutputTokens, signal }: LlmRequest): AsyncIterable<LlmEvent> {
    const question = messages.findLast((message) => message.role === 'user')?.content ?? '';
    const full = `You said: ${question}`;
    const answer = full.slice(0, maxOutputTokens * CHARS_PER_TOKEN);
    const words = answer.split(/(?<=\s)/);
    for (const word of words) {
      if (signal.aborted) return;
      yield { type: 'delta', content: word };
      await nextTick();
    }
    yield {
      type: 'end',
      model: 'echo',
      finishReason: answer.length < full.length ? 'length' : 'stop',
      usage: { prompt_tokens: estimatePromptTokens(messages), completion_tokens: estimateTokens(answer) },
    };
  }
}
