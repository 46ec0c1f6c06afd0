import { nextUtcMidnight, quotaAllows, secondsUntilReset } from './quota-window.js';

describe('quota window', () => {
  it('resets at the next UTC midnight, whatever the local time zone', () => {
    expect(nextUtcMidnight(new Date('2026-11-22T23:59:59.500Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(nextUtcMidnight(new Date('2026-11-22T00:00:00.000Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(nextUtcMidnight(new Date('2026-12-31T12:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextUtcMidnight(new Date('2028-02-28T10:00:00Z')).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('counts whole seconds to the reset, never less than one', () => {
    expect(secondsUntilReset(new Date('2026-11-22T23:59:59.500Z'))).toBe(1);
    expect(secondsUntilReset(new Date('2026-11-22T23:00:00.000Z'))).toBe(3600);
    expect(secondsUntilReset(new Date('2026-11-22T00:00:00.000Z'))).toBe(86_400);
  });

  it.each([
    [{ tokens: null, messages: null }, { tokens: 10 ** 9, userMessages: 10 ** 6 }, 1, true],
    [{ tokens: 100, messages: null }, { tokens: 99, userMessages: 0 }, 1, true],
    [{ tokens: 100, messages: null }, { tokens: 100, userMessages: 0 }, 1, false],
    [{ tokens: null, messages: 5 }, { tokens: 0, userMessages: 4 }, 1, true],
    [{ tokens: null, messages: 5 }, { tokens: 0, userMessages: 5 }, 1, false],
    [{ tokens: null, messages: 5 }, { tokens: 0, userMessages: 3 }, 3, false],
    [{ tokens: null, messages: 0 }, { tokens: 0, userMessages: 0 }, 1, false],
    [{ tokens: 0, messages: null }, { tokens: 0, userMessages: 0 }, 1, false],
  ])('limits %j, used %j, %i more: %s', (limits, used, incoming, allowed) => {
    expect(quotaAllows(limits, used, incoming)).toBe(allowed);
  });
});
