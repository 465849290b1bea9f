import { describe, expect, it } from 'vitest';
import { FakeClock, flushPromises } from './clock.ts';
import { WorkQueue } from './queue.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WorkQueue', () => {
  const noJitter = () => 0;

  it('processes a key added many times while queued only once', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ name: 't', workers: 2, clock });
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) queue.add('ns/a');
    queue.add('ns/b');
    queue.start(async (key) => {
      seen.push(key);
    });
    await flushPromises();
    expect(seen).toEqual(['ns/a', 'ns/b']);
  });

  it('never runs one key twice at once, and runs it again when it was added while running', async () => {
    const queue = new WorkQueue({ name: 't', workers: 4, clock: new FakeClock() });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    queue.start(async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await gate.promise;
      running--;
    });
    queue.add('ns/a');
    await flushPromises();
    for (let i = 0; i < 5; i++) queue.add('ns/a');
    await flushPromises();
    expect(runs).toBe(1);
    gate.resolve();
    await flushPromises();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('runs different keys in parallel up to the worker count', async () => {
    const queue = new WorkQueue({ name: 't', workers: 2, clock: new FakeClock() });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    queue.start(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running--;
    });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await flushPromises();
    expect(queue.active).toBe(2);
    expect(queue.depth).toBe(2);
    gate.resolve();
    await flushPromises();
    expect(maxRunning).toBe(2);
    expect(queue.depth).toBe(0);
  });

  it('lets a parked key free its worker for others, yet never runs that key twice at once', async () => {
    const queue = new WorkQueue({ name: 't', workers: 1, clock: new FakeClock() });
    const shared = deferred();
    const runs: string[] = [];
    const finished: string[] = [];
    queue.start(async (key) => {
      runs.push(key);
      if (key === 'a' && runs.filter((k) => k === 'a').length === 1) await queue.park(key, shared.promise);
      finished.push(key);
    });
    queue.add('a');
    await flushPromises();
    queue.add('b');
    queue.add('c');
    queue.add('a');
    await flushPromises();
    // One worker: while 'a' waits for the shared work, 'b' and 'c' run; 'a' is not run again yet.
    expect(runs).toEqual(['a', 'b', 'c']);
    expect(finished).toEqual(['b', 'c']);
    expect(queue.active).toBe(0);
    shared.resolve();
    await flushPromises();
    // 'a' went on, then ran once more because it was added while it ran.
    expect(finished).toEqual(['b', 'c', 'a', 'a']);
    expect(queue.active).toBe(0);
  });

  it('holds workers for keys that do not park', async () => {
    const queue = new WorkQueue({ name: 't', workers: 1, clock: new FakeClock() });
    const gate = deferred();
    const runs: string[] = [];
    queue.start(async (key) => {
      runs.push(key);
      if (key === 'a') await gate.promise;
    });
    queue.add('a');
    queue.add('b');
    await flushPromises();
    expect(runs).toEqual(['a']);
    gate.resolve();
    await flushPromises();
    expect(runs).toEqual(['a', 'b']);
  });

  it('fires addAfter at its deadline and keeps the earliest of several', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ name: 't', workers: 1, clock });
    const at: number[] = [];
    const start = clock.now();
    queue.start(async () => {
      at.push(clock.now() - start);
    });
    queue.addAfter('k', 30_000);
    queue.addAfter('k', 10_000);
    queue.addAfter('k', 20_000);
    await clock.advance(9_999);
    expect(at).toEqual([]);
    await clock.advance(1);
    expect(at).toEqual([10_000]);
    await clock.advance(60_000);
    expect(at).toEqual([10_000]);
  });

  it('backs off per key: 1 s, 2 s, 4 s ... capped at 5 min, and forget resets it', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ name: 't', workers: 1, clock, random: noJitter });
    const delays = Array.from({ length: 12 }, () => queue.addRateLimited('k'));
    expect(delays.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(delays.at(-1)).toBe(300_000);
    expect(queue.failuresOf('k')).toBe(12);
    expect(queue.addRateLimited('other')).toBe(1_000);
    queue.forget('k');
    expect(queue.failuresOf('k')).toBe(0);
  });

  it('stops taking work on shutdown but lets running keys finish', async () => {
    const queue = new WorkQueue({ name: 't', workers: 1, clock: new FakeClock() });
    const gate = deferred();
    const done: string[] = [];
    queue.start(async (key) => {
      await gate.promise;
      done.push(key);
    });
    queue.add('a');
    queue.add('b');
    await flushPromises();
    const shutdown = queue.shutDown(5_000);
    queue.add('c');
    gate.resolve();
    expect(await shutdown).toBe(true);
    expect(done).toEqual(['a']);
  });

  describe('fairness between namespaces', () => {
    const keys = (namespace: string, n: number) => Array.from({ length: n }, (_, i) => `${namespace}/k${i}`);

    it('takes a quiet namespace’s keys within the first 6 takes, behind 1,000 of a noisy one', async () => {
      const depths: number[] = [];
      const queue = new WorkQueue({
        name: 't',
        workers: 1,
        clock: new FakeClock(),
        hooks: { depthChanged: (depth) => depths.push(depth) },
      });
      for (const key of keys('ns-noisy', 1_000)) queue.add(key);
      for (const key of keys('ns-quiet', 3)) queue.add(key);
      expect(queue.depth).toBe(1_003);
      expect(depths.at(-1)).toBe(1_003);
      const taken: string[] = [];
      queue.start(async (key) => {
        taken.push(key);
      });
      await flushPromises();
      expect(taken.slice(0, 6)).toEqual([
        'ns-noisy/k0',
        'ns-quiet/k0',
        'ns-noisy/k1',
        'ns-quiet/k1',
        'ns-noisy/k2',
        'ns-quiet/k2',
      ]);
      // Nothing lost or doubled, and the noisy namespace's own order kept.
      expect(taken).toHaveLength(1_003);
      expect(taken.filter((k) => k.startsWith('ns-noisy/'))).toEqual(keys('ns-noisy', 1_000));
      expect(queue.depth).toBe(0);
      expect(depths.at(-1)).toBe(0);
    });

    it('lets a namespace that arrives during a burst wait at most one take per namespace ahead of it', async () => {
      const queue = new WorkQueue({ name: 't', workers: 1, clock: new FakeClock() });
      const gates: (() => void)[] = [];
      const taken: string[] = [];
      queue.start(async (key) => {
        taken.push(key);
        await new Promise<void>((resolve) => gates.push(resolve));
      });
      const next = async () => {
        gates.shift()?.();
        await flushPromises();
      };
      for (const key of keys('ns-noisy', 2_000)) queue.add(key);
      await flushPromises();
      expect(taken).toEqual(['ns-noisy/k0']);
      queue.add('ns-a/renew');
      queue.add('ns-b/renew');
      // The noisy namespace's turn was already queued; a and b follow it, then noisy again.
      for (let i = 0; i < 4; i++) await next();
      expect(taken).toEqual(['ns-noisy/k0', 'ns-noisy/k1', 'ns-a/renew', 'ns-b/renew', 'ns-noisy/k2']);
      expect(queue.depth).toBe(1_997);
      expect(queue.active).toBe(1);
    });

    it('gives a noisy namespace every worker when it is alone (work-conserving)', async () => {
      const queue = new WorkQueue({ name: 't', workers: 4, clock: new FakeClock() });
      const gate = deferred();
      const running = new Set<string>();
      queue.start(async (key) => {
        running.add(key);
        await gate.promise;
      });
      for (const key of keys('ns-noisy', 10)) queue.add(key);
      await flushPromises();
      expect(queue.active).toBe(4);
      expect(queue.depth).toBe(6);
      expect([...running]).toEqual(keys('ns-noisy', 4));
      gate.resolve();
      await flushPromises();
      expect(running.size).toBe(10);
      expect(queue.depth).toBe(0);
    });

    it('keeps every worker busy while any namespace has ready keys', async () => {
      const queue = new WorkQueue({ name: 't', workers: 4, clock: new FakeClock() });
      const gate = deferred();
      const running: string[] = [];
      for (const key of keys('ns-noisy', 10)) queue.add(key);
      queue.add('ns-quiet/k0');
      queue.start(async (key) => {
        running.push(key);
        await gate.promise;
      });
      await flushPromises();
      expect(running).toEqual(['ns-noisy/k0', 'ns-quiet/k0', 'ns-noisy/k1', 'ns-noisy/k2']);
      expect(queue.depth).toBe(7);
      gate.resolve();
    });
  });
});
