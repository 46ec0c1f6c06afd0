import { coveringPeriods } from './usage-periods.js';

const DAY_MS = 86_400_000;
const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;

/** Every day the blocks cover, in order, so overlaps and gaps both show. */
function coveredDays(blocks: Record<number, string[]>): string[] {
  return Object.entries(blocks)
    .flatMap(([span, starts]) => starts.flatMap((start) => Array.from({ length: Number(span) }, (_, i) => Date.parse(start) + i * DAY_MS)))
    .sort((a, b) => a - b)
    .map((ms) => new Date(ms).toISOString().slice(0, 10));
}

describe('usage periods', () => {
  it('covers a range exactly once, with aligned blocks', () => {
    for (const [from, to] of [
      ['2026-09-05', '2026-12-03'],
      ['2026-12-03', '2026-12-03'],
      ['2025-12-01', '2026-12-01'],
      ['1970-01-01', '1970-03-05'],
      ['2026-02-27', '2026-03-02'],
    ]) {
      const blocks = coveringPeriods(from, to);
      const covered = coveredDays(blocks);
      expect(covered).toHaveLength(days(from, to));
      expect(new Set(covered).size).toBe(covered.length);
      expect([covered[0], covered.at(-1)]).toEqual([from, to]);
      for (const [span, starts] of Object.entries(blocks)) {
        for (const start of starts) expect((Date.parse(start) / DAY_MS) % Number(span)).toBe(0);
      }
    }
  });

  it('covers any 90 days with at most 13 blocks: 1 + 1 single days, 3 + 3 of 2 and of 8 days around the 32-day blocks', () => {
    for (let offset = 0; offset < 64; offset++) {
      const from = new Date(Date.parse('2026-01-01') + offset * DAY_MS).toISOString().slice(0, 10);
      const to = new Date(Date.parse(from) + 89 * DAY_MS).toISOString().slice(0, 10);
      const blocks = coveringPeriods(from, to);
      expect(blocks[1].length).toBeLessThanOrEqual(2);
      expect(blocks[2].length).toBeLessThanOrEqual(6);
      expect(blocks[8].length).toBeLessThanOrEqual(6);
      expect(Object.values(blocks).flat().length).toBeLessThanOrEqual(13);
    }
  });

  it('uses one 32-day block for an aligned range of 32 days', () => {
    expect(coveringPeriods('2026-12-13', '2027-01-13')).toEqual({ 32: ['2026-12-13'], 8: [], 2: [], 1: [] });
  });
});
