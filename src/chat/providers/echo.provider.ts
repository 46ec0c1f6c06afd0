import { setImmediate as nextTick } from 'node:timers/promises';
import { estimateTokens, LlmProvider, type LlmEvent, type LlmRequest } from './llm-provider.js';

/**
 * Offline and deterministic: answers by echoing the last user message, word by word, as a model would
 * stream. Token counts are estimated. The default when no provider is configured.
 */
export class EchoProvider extends LlmProvider {
  modelFor(): string {
    return 'echo';
  }

  async *complete({ messages, signal }: LlmRequest): AsyncIterable<LlmEvent> {
    const question = messages.findLast((message) => message.role === 'user')?.content ?? '';
    const answer = `You said: ${question}`;
    const words = answer.split(/(?<=\s)/);
    for (const word of words) {
      if (signal.aborted) return;
      yield { type: 'delta', content: word };
      await nextTick();
    }
    const prompt = messages.map((message) => message.content).join('\n');
    yield {
      type: 'end',
      model: 'echo',
      finishReason: 'stop',
      usage: { prompt_tokens: estimateTokens(prompt), completion_tokens: estimateTokens(answer) },
    };
  }
}
