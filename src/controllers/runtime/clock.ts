/** An opaque timer handle returned by {@link Clock.setTimer}. */
export type TimerHandle = { readonly id: number } | NodeJS.Timeout;

/** Time and timers, injected so tests can move time by hand instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `delayMs`; timers never keep the process alive. */
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    timer.unref();
    return timer;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when told to; timers fire in deadline order during {@link FakeClock.advance}. */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    const id = (handle as { id: number }).id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Deadlines of the pending timers, relative to now, soonest first. */
  pendingDelays(): number[] {
    return this.timers.map((t) => t.at - this.current).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order, and lets promise callbacks run after each. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.fn();
      await flushPromises();
    }
    this.current = target;
    await flushPromises();
  }
}

/** Lets pending promise continuations run (several turns, for chains of awaits). */
export async function flushPromises(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
