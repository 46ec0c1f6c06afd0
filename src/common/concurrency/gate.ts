import { Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';

/** Thrown by a gate whose queue wait ran out; the caller turns it into a 429 or 503. */
export class GateTimeoutError extends Error {
  override name = 'GateTimeoutError';
}

/** One instance for every gate: it is caught and turned into a 429/503, and an Error's stack costs ~0.1 ms to build. */
const TIMED_OUT = new GateTimeoutError('no slot in time');

/**
 * At most `limit` holders at once; further callers queue (FIFO) for up to `queueMs`, then fail with
 * GateTimeoutError. The semaphore and its timeout come from async-mutex.
 */
export class Gate {
  private readonly semaphore: SemaphoreInterface;

  constructor(limit: number, queueMs: number) {
    this.semaphore = withTimeout(new Semaphore(limit), queueMs, TIMED_OUT);
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return this.semaphore.runExclusive(work);
  }
}

/**
 * One Gate per key (a user id), created on first use and dropped when its last holder or waiter leaves,
 * so memory follows the users active right now, not every user ever seen.
 */
export class KeyedGate {
  private readonly gates = new Map<string, { gate: Gate; users: number }>();

  constructor(
    private readonly limit: number,
    private readonly queueMs: number,
  ) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let entry = this.gates.get(key);
    if (!entry) {
      entry = { gate: new Gate(this.limit, this.queueMs), users: 0 };
      this.gates.set(key, entry);
    }
    entry.users++;
    try {
      return await entry.gate.run(work);
    } finally {
      if (--entry.users === 0) this.gates.delete(key);
    }
  }

  /** Keys with a holder or a waiter (for tests and metrics). */
  get activeKeys(): number {
    return this.gates.size;
  }
}
