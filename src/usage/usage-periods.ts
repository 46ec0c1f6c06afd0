/** The block sizes of usage_periods, largest first; each divides the next larger one. */
export const PERIOD_SPANS = [32, 8, 2, 1] as const;
export type PeriodSpan = (typeof PERIOD_SPANS)[number];

const DAY_MS = 86_400_000;

const dayNumber = (isoDay: string) => Date.parse(`${isoDay}T00:00:00Z`) / DAY_MS;
const isoDay = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);

/**
 * The fewest aligned blocks (span days starting on a multiple of span, counted from 1970-01-01) that cover
 * the inclusive range of UTC days exactly: each step takes the largest block that starts here and ends in
 * the range. Around the 32-day blocks that leaves at most 3 + 3 blocks of 8 days, 3 + 3 of 2 days and 1 + 1
 * single days: a range of 90 days is 9 to 13 blocks.
 */
export function coveringPeriods(from: string, to: string): Record<PeriodSpan, string[]> {
  const blocks: Record<PeriodSpan, string[]> = { 32: [], 8: [], 2: [], 1: [] };
  const last = dayNumber(to);
  for (let day = dayNumber(from); day <= last;) {
    const span = PERIOD_SPANS.find((s) => day % s === 0 && day + s - 1 <= last) ?? 1;
    blocks[span].push(isoDay(day));
    day += span;
  }
  return blocks;
}
