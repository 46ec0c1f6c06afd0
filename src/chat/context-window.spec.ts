import { contextWindow, type StoredMessage } from './context-window.js';

const history: StoredMessage[] = [
  { role: 'user', content: 'aaaa' },
  { role: 'assistant', content: 'bbbb' },
  { role: 'tool', content: 'cccc' },
  { role: 'user', content: 'dddd' },
];

describe('contextWindow', () => {
  it('keeps everything that fits, oldest first, after the system prompt', () => {
    expect(contextWindow(history, { systemPrompt: 'Be brief.', maxMessages: 50, maxChars: 1000 })).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'aaaa' },
      { role: 'assistant', content: 'bbbb' },
      { role: 'system', content: 'Tool output:\ncccc' },
      { role: 'user', content: 'dddd' },
    ]);
  });

  it('drops the oldest messages beyond maxMessages', () => {
    expect(contextWindow(history, { systemPrompt: undefined, maxMessages: 2, maxChars: 1000 }).map((m) => m.content)).toEqual([
      'Tool output:\ncccc',
      'dddd',
    ]);
  });

  it('drops the oldest messages beyond maxChars (the system prompt does not count)', () => {
    const window = contextWindow(history, { systemPrompt: 'x'.repeat(100), maxMessages: 50, maxChars: 9 });
    expect(window.map((m) => m.content)).toEqual(['x'.repeat(100), 'Tool output:\ncccc', 'dddd']);
  });

  it('always keeps the newest message, even when it alone is too long', () => {
    expect(contextWindow(history, { systemPrompt: undefined, maxMessages: 50, maxChars: 1 })).toEqual([{ role: 'user', content: 'dddd' }]);
  });

  it('handles an empty history', () => {
    expect(contextWindow([], { systemPrompt: undefined, maxMessages: 5, maxChars: 10 })).toEqual([]);
  });
});
