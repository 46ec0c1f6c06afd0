import { chunkSessions } from './export-lines.js';

describe('chunkSessions', () => {
  const sessions = (...counts: number[]) => counts.map((message_count, i) => ({ i, message_count }));
  const shape = (chunks: { i: number }[][]) => chunks.map((chunk) => chunk.map((s) => s.i));

  it('packs consecutive sessions while their messages fit one statement', () => {
    expect(shape(chunkSessions(sessions(3, 4, 3, 1, 9, 1), 10))).toEqual([[0, 1, 2], [3, 4], [5]]);
  });

  it('gives a session bigger than the budget a chunk of its own, keeping the order', () => {
    expect(shape(chunkSessions(sessions(2, 50, 2, 0, 0), 10))).toEqual([[0], [1], [2, 3, 4]]);
  });

  it('keeps empty sessions together and yields nothing for none', () => {
    expect(shape(chunkSessions(sessions(0, 0, 0), 1))).toEqual([[0, 1, 2]]);
    expect(chunkSessions([], 10)).toEqual([]);
  });
});
