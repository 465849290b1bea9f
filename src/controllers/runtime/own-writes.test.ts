import { describe, expect, it } from 'vitest';
import { OWN_WRITE_EXPIRY_MS, OwnWrites } from './own-writes.ts';

const KEY = 'ns/token';

describe('OwnWrites: may the cached copy be used for the next reconcile?', () => {
  it.each([
    // [what happened, our last write, cached resourceVersion, cache behind?]
    ['nothing written yet', undefined, '10', false],
    ['we wrote 12; the watch has not delivered it (cache at 11)', '12', '11', true],
    ['we wrote 12; the watch delivered it', '12', '12', false],
  ])('%s', (_what, ours, cached, behind) => {
    const writes = new OwnWrites();
    writes.wrote(KEY, ours, 0);
    expect(writes.cacheBehind(KEY, cached, 1)).toBe(behind);
  });

  it('trusts the cache again once the informer delivers our write, even before we look', () => {
    const writes = new OwnWrites();
    writes.wrote(KEY, '12', 0);
    writes.seen(KEY, '11'); // an older event, still in flight when we wrote
    expect(writes.cacheBehind(KEY, '11', 1)).toBe(true);
    writes.seen(KEY, '12');
    expect(writes.cacheBehind(KEY, '12', 2)).toBe(false);
    expect(writes.size).toBe(0);
  });

  it('after a live read, waits for the cache to reach what that read returned', () => {
    const writes = new OwnWrites();
    writes.wrote(KEY, '12', 0);
    writes.readLive(KEY, '14', 1); // someone wrote 13 and 14 after us
    expect(writes.cacheBehind(KEY, '12', 2)).toBe(true);
    writes.seen(KEY, '14');
    expect(writes.cacheBehind(KEY, '14', 3)).toBe(false);
  });

  it('gives up waiting when a relist skipped our version, so a key is not read live forever', () => {
    const writes = new OwnWrites();
    writes.wrote(KEY, '12', 0);
    expect(writes.cacheBehind(KEY, '15', OWN_WRITE_EXPIRY_MS)).toBe(true);
    expect(writes.cacheBehind(KEY, '15', OWN_WRITE_EXPIRY_MS + 1)).toBe(false);
  });

  it('forgets deleted objects', () => {
    const writes = new OwnWrites();
    writes.wrote(KEY, '12', 0);
    writes.forget(KEY);
    expect(writes.cacheBehind(KEY, '11', 1)).toBe(false);
  });
});
