// How the demo talks: numbered steps, plain-word lines, and commands shown as a terminal shows them.

const started = Date.now();
let stepNumber = 0;

/** Seconds since the demo started, e.g. `12.3s`. */
export function elapsed(since = started): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

/** Starts the next numbered step of the story with a heading. */
export function step(title: string): void {
  stepNumber++;
  console.log(`\n== ${stepNumber}. ${title} ==`);
}

/** One line of narration. */
export function say(line: string): void {
  console.log(`[demo] ${line}`);
}

/** A command as typed (`$ kubectl get berth -A`) and what it printed, trailing blank lines removed. */
export function show(command: string, output: string): void {
  console.log(`$ ${command}`);
  const text = output.replace(/\s+$/, '');
  if (text) console.log(text);
}
