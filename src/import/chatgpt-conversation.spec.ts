import { fromChatGpt } from './chatgpt-conversation.js';

const message = (role: string, parts: unknown[], extra: Record<string, unknown> = {}) => ({
  author: { role },
  content: { content_type: 'text', parts },
  create_time: null,
  ...extra,
});

function conversation(mapping: Record<string, unknown>, current: string, extra: Record<string, unknown> = {}) {
  return { id: 'conv-1', title: '  Spaces around  ', create_time: 1_700_000_000, mapping, current_node: current, ...extra };
}

describe('fromChatGpt', () => {
  it('walks from current_node up to the root and gives messages without create_time the time before them', () => {
    const converted = fromChatGpt(
      conversation(
        {
          root: { parent: null, message: null },
          u: { parent: 'root', message: message('user', ['hi'], { create_time: 1_700_000_010.0004 }) },
          old: { parent: 'u', message: message('assistant', ['abandoned']) },
          new: { parent: 'u', message: message('assistant', ['chosen']) },
        },
        'new',
      ),
    );
    expect(converted.messages.map((m) => [m.seq, m.content, m.created_at])).toEqual([
      [1, 'hi', '2023-11-14T22:13:30.000Z'],
      [2, 'chosen', '2023-11-14T22:13:30.000Z'],
    ]);
    expect(converted.session).toMatchObject({ title: 'Spaces around', last_message_at: '2023-11-14T22:13:30.000Z' });
    expect(converted.omitted).toBe(0);
  });

  it('gives the same ids on every call, different ones for another conversation', () => {
    const mapping = { a: { parent: null, message: message('user', ['x']) } };
    const once = fromChatGpt(conversation(mapping, 'a'));
    expect(fromChatGpt(conversation(mapping, 'a')).messages[0].id).toBe(once.messages[0].id);
    expect(fromChatGpt(conversation(mapping, 'a', { id: 'conv-2' })).session.id).not.toBe(once.session.id);
  });

  it.each([
    ['a cycle', { a: { parent: 'b', message: null }, b: { parent: 'a', message: null } }, 'a', /cycle/],
    ['a missing parent', { a: { parent: 'gone', message: null } }, 'a', /names no node/],
    ['no current node', { a: { parent: null, message: null } }, 'zzz', /names no node/],
    ['an inherited name', { a: { parent: null, message: null } }, 'toString', /names no node/],
    ['a bad timestamp', { a: { parent: null, message: message('user', ['x'], { create_time: 'noon' }) } }, 'a', /epoch seconds/],
  ])('refuses %s', (_label, mapping, current, reason) => {
    expect(() => fromChatGpt(conversation(mapping, current))).toThrow(reason);
  });
});
