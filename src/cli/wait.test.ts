import { describe, expect, it } from 'vitest';
import { fakeIo } from './testing/fake-io.ts';
import { type Poll, parseTimeout, waitFor } from './wait.ts';

const signal = new AbortController().signal;

describe('waitFor', () => {
  it('polls until done, printing one progress line per change when stderr is not a terminal', async () => {
    const io = fakeIo();
    const states: Poll<string>[] = [{ waiting: 'a' }, { waiting: 'a' }, { waiting: 'b' }, { done: 'yes' }];
    const got = await waitFor(io, async () => states.shift() as Poll<string>, {
      timeoutMs: 60_000,
      what: 'x',
      signal,
    });
    expect(got).toBe('yes');
    expect(io.stderr).toEqual(['a\n', 'b\n']);
  });

  it('rewrites one line in place on a terminal and clears it at the end', async () => {
    const io = fakeIo({ tty: true, columns: 20 });
    const states: Poll<string>[] = [{ waiting: 'a rather long progress text' }, { done: 'ok' }];
    await waitFor(io, async () => states.shift() as Poll<string>, { timeoutMs: 60_000, what: 'x', signal });
    expect(io.stderr).toEqual(['\r\u001b[Ka rather long prog…', '\r\u001b[K']);
  });

  it('fails with the reason the poll gives, and on timeout with the last state seen', async () => {
    await expect(
      waitFor(fakeIo(), async () => ({ failed: 'Stalled' }), { timeoutMs: 1_000, what: 'x', signal }),
    ).rejects.toThrow('Stalled');
    await expect(
      waitFor(fakeIo(), async () => ({ waiting: 'still issuing' }), {
        timeoutMs: 2_000,
        what: 'the token',
        signal,
      }),
    ).rejects.toThrow('timed out after 2s waiting for the token; last seen: still issuing');
  });

  it('treats a failed read as a reason to keep waiting, and stops on Ctrl-C', async () => {
    let calls = 0;
    const io = fakeIo();
    const got = await waitFor(
      io,
      async () => {
        calls++;
        if (calls === 1) throw new Error('connection reset');
        return { done: calls };
      },
      { timeoutMs: 60_000, what: 'x', signal },
    );
    expect(got).toBe(2);
    expect(io.stderr).toEqual(['retrying: connection reset\n']);
    const abort = new AbortController();
    abort.abort(new Error('interrupted'));
    await expect(
      waitFor(fakeIo(), async () => ({ waiting: 'w' }), {
        timeoutMs: 60_000,
        what: 'x',
        signal: abort.signal,
      }),
    ).rejects.toThrow('interrupted');
  });

  it('parses --timeout like kubectl', () => {
    expect(parseTimeout('90s')).toBe(90_000);
    expect(parseTimeout('2m')).toBe(120_000);
    expect(parseTimeout('30')).toBe(30_000);
    expect(() => parseTimeout('0s')).toThrow(/expected a duration/);
    expect(() => parseTimeout('soon')).toThrow(/expected a duration/);
  });
});
