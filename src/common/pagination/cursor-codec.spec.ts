import { CursorCodec } from './cursor-codec.js';
import { ProblemException } from '../problem/problem.js';

const isSeqKey = (key: unknown): key is [number] => Array.isArray(key) && key.length === 1 && Number.isInteger(key[0]);

describe('CursorCodec', () => {
  const codec = new CursorCodec('a-secret-that-is-long-enough-for-tests');

  it('round-trips a key within the same scope', () => {
    const cursor = codec.encode('messages:asc', [42]);
    expect(codec.decode('messages:asc', cursor, isSeqKey)).toEqual([42]);
  });

  it.each([
    ['another scope', (c: string) => ({ scope: 'messages:desc', cursor: c })],
    [
      'an edited payload',
      (c: string) => ({ scope: 'messages:asc', cursor: `${Buffer.from('[43]').toString('base64url')}.${c.split('.')[1]}` }),
    ],
    ['a truncated signature', (c: string) => ({ scope: 'messages:asc', cursor: c.slice(0, -2) })],
    ['garbage', () => ({ scope: 'messages:asc', cursor: 'not-a-cursor' })],
    ['extra segments', (c: string) => ({ scope: 'messages:asc', cursor: `${c}.x` })],
  ])('rejects %s with a validation problem', (_name, tamper) => {
    const { scope, cursor } = tamper(codec.encode('messages:asc', [42]));
    expect(() => codec.decode(scope, cursor, isSeqKey)).toThrow(ProblemException);
  });

  it('rejects a signed key of the wrong shape', () => {
    const cursor = codec.encode('messages:asc', ['42']);
    expect(() => codec.decode('messages:asc', cursor, isSeqKey)).toThrow(ProblemException);
  });

  it('does not accept cursors signed with another secret', () => {
    const other = new CursorCodec('another-secret-that-is-long-enough!!');
    expect(() => codec.decode('messages:asc', other.encode('messages:asc', [1]), isSeqKey)).toThrow(ProblemException);
  });
});
