import { jest } from '@jest/globals';
import { Gate, GateTimeoutError, KeyedGate } from './gate.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Gate', () => {
  it('runs at most `limit` at once and queues the rest in order', async () => {
    const gate = new Gate(2, 5_000);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        gate.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(10);
          order.push(i);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails a caller that waited longer than queueMs, without running its work', async () => {
    const gate = new Gate(1, 20);
    let release!: () => void;
    const holder = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    const work = jest.fn(async () => 'ran');
    await expect(gate.run(work)).rejects.toBeInstanceOf(GateTimeoutError);
    release();
    await holder;
    expect(work).not.toHaveBeenCalled();
    await expect(gate.run(async () => 'free again')).resolves.toBe('free again');
  });
});

describe('KeyedGate', () => {
  it('limits each key on its own and forgets idle keys', async () => {
    const gates = new KeyedGate(1, 10);
    let release!: () => void;
    const held = gates.run('alice', () => new Promise<void>((resolve) => (release = resolve)));
    await expect(gates.run('alice', async () => 'second')).rejects.toBeInstanceOf(GateTimeoutError);
    await expect(gates.run('bob', async () => 'bob runs')).resolves.toBe('bob runs');
    expect(gates.activeKeys).toBe(1);
    release();
    await held;
    expect(gates.activeKeys).toBe(0);
  });
});
