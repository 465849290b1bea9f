import type { Painter } from '../format/color.ts';

/** The outcome of one check: fine, a problem with what to do, or not checked and why. */
export type CheckResult = 'ok' | 'fail' | 'skip';

/** One line of `berth check`. */
export interface CheckLine {
  result: CheckResult;
  text: string;
}

/** A check that passed. */
export const ok = (text: string): CheckLine => ({ result: 'ok', text });
/** A problem found, with what to do about it. */
export const failed = (text: string): CheckLine => ({ result: 'fail', text });
/** A check that could not be made, and why. */
export const skipped = (text: string): CheckLine => ({ result: 'skip', text });

const LABEL: Record<CheckResult, string> = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' };
const TONE = { ok: 'green', fail: 'red', skip: 'yellow' } as const;

/** `ok    text`, `FAIL  text`, `skip  text`: greppable in logs, coloured on a terminal. */
export function renderCheckLine(line: CheckLine, paint: Painter): string {
  return `${paint(LABEL[line.result], TONE[line.result])}  ${line.text}\n`;
}
