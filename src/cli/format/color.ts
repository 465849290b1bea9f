/**
 * Colour only where a person reads: on a terminal, unless NO_COLOR is set (no-color.org) or TERM is
 * `dumb`. FORCE_COLOR (any value but `0`) turns it on elsewhere, for CI logs that render ANSI.
 */
export function colorEnabled(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

/** The colours the CLI uses, each meaning one thing: bad, in progress or skipped, good, secondary. */
export type Tone = 'red' | 'yellow' | 'green' | 'dim' | 'bold';

const CODES: Record<Tone, [number, number]> = {
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** Paints text, or returns it unchanged when colour is off. */
export type Painter = (text: string, tone: Tone | undefined) => string;

/** A painter for the given setting. */
export function painter(enabled: boolean): Painter {
  return (text, tone) => {
    if (!enabled || tone === undefined || text === '') return text;
    const [open, close] = CODES[tone];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

/** Removes ANSI colour sequences (for measuring what was painted). */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
