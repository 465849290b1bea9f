// berth as a process that the chaos bench SIGKILLs on a timer and starts again, as a node that
// dies or an OOM kill would: no shutdown, no lease handover, work in flight simply gone.
import { createWriteStream, type WriteStream } from 'node:fs';
import { type OperatorProcess, startOperator } from './operator.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts, kills and restarts one operator process at a time. */
export class ChaosOperator {
  /** SIGKILLs the bench sent. */
  kills = 0;
  /** Exits nobody asked for (a crash), after which the operator was started again. */
  crashes = 0;
  /** Starts that failed (exited before "operator starting") and were tried again. */
  failedStarts = 0;
  private current: OperatorProcess | undefined;
  private killing: Promise<void> | undefined;
  private stopKilling: (() => void) | undefined;
  private stopping = false;
  private queue: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | undefined;
  private readonly log: WriteStream;

  private readonly entry: string;
  private readonly kubeconfig: string;
  private readonly args: string[];
  /** The operator's JSON log of every process in turn, appended. */
  readonly logFile: string;

  constructor(entry: string, kubeconfig: string, args: string[], logFile: string) {
    this.entry = entry;
    this.kubeconfig = kubeconfig;
    this.args = args;
    this.logFile = logFile;
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  /**
   * Starts the operator unless one runs, again and again until a process says it is starting.
   * Starts and kills run one at a time, in the order asked (a crash's restart and the timer's kill
   * may be asked for at once), so there is never more than one process.
   */
  start(): Promise<void> {
    const next = this.queue.then(() => this.launch());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async launch(): Promise<void> {
    if (this.current || this.stopping) return;
    for (let attempt = 1; ; attempt++) {
      try {
        const op = await startOperator(this.entry, this.kubeconfig, this.args, [], this.log);
        this.current = op;
        op.child.once('exit', () => {
          if (this.current !== op || this.stopping) return;
          // Not ours: count it and carry on, as a Deployment would restart the Pod.
          this.crashes++;
          this.current = undefined;
          void this.start();
        });
        return;
      } catch (err) {
        this.failedStarts++;
        if (attempt >= 20) throw err;
        await sleep(1_000);
      }
    }
  }

  /** SIGKILLs the operator every `everyMs` (counted from when it said it was starting) and restarts it. */
  startKills(everyMs: number): void {
    if (this.killing) return;
    let wake: () => void = () => undefined;
    let on = true;
    this.stopKilling = () => {
      on = false;
      wake();
    };
    this.killing = (async () => {
      while (on) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, everyMs);
        });
        if (!on) break;
        const next = this.queue.then(() => this.kill());
        this.queue = next;
        await next;
        await this.start();
      }
    })();
  }

  /** Ends the kills; resolves once the operator is running again. */
  async stopKills(): Promise<void> {
    this.stopKilling?.();
    await this.killing;
    this.killing = undefined;
    this.stopKilling = undefined;
    await this.start();
  }

  /**
   * How many registry censuses the running process completed (its
   * berth_credential_census_lists_total, result ok); 0 when none runs or it cannot be read.
   */
  async censusLists(): Promise<number> {
    const op = this.current;
    if (!op) return 0;
    const text = await fetch(`http://${op.address}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    let sum = 0;
    for (const line of text.split('\n'))
      if (line.startsWith('berth_credential_census_lists_total{') && line.includes('result="ok"'))
        sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
    return sum;
  }

  /** SIGKILLs the running process and waits until it is gone. */
  private async kill(): Promise<void> {
    const op = this.current;
    if (!op) return;
    this.current = undefined;
    if (op.child.exitCode === null && op.child.signalCode === null) {
      const exited = new Promise((r) => op.child.once('exit', r));
      op.child.kill('SIGKILL');
      await exited;
    }
    this.kills++;
  }

  /** Stops for good: SIGTERM, and SIGKILL if it has not exited within `graceMs`. Idempotent. */
  stop(graceMs = 10_000): Promise<void> {
    this.stopped ??= this.shutDown(graceMs);
    return this.stopped;
  }

  private async shutDown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopKilling?.();
    await this.killing;
    await this.queue;
    const op = this.current;
    this.current = undefined;
    if (op && op.child.exitCode === null && op.child.signalCode === null) {
      const exited = new Promise((r) => op.child.once('exit', r));
      op.child.kill('SIGTERM');
      const timer = setTimeout(() => op.child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((r) => this.log.end(r));
  }
}
