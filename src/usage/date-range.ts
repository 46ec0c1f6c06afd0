import { validationFailed } from '../common/problem/problem.js';

const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** An inclusive range of UTC days; defaults to the 30 days ending today. At most 366 days. */
export function resolveDateRange(query: { from?: string; to?: string }, now = new Date()): { from: string; to: string } {
  const to = query.to ?? isoDay(now);
  const from = query.from ?? isoDay(new Date(Date.parse(to) - 29 * DAY_MS));
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw validationFailed([{ field: 'from', message: 'from must not be after to' }]);
  if (days > MAX_DAYS) throw validationFailed([{ field: 'from', message: `the range must span at most ${MAX_DAYS} days` }]);
  return { from, to };
}
