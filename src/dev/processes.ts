import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './binaries.ts';

const guardScript = join(repoRoot, 'scripts', 'cluster', 'guard.sh');

/** A component started in its own process group, so it can be stopped by PID with everything it forked. */
export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
}

/** Options for {@link startProcess}. */
export interface StartOptions {
  /** The component ends when this PID goes away; 0 lets it outlive its starter (`npm run cluster:up`). */
  parentPid: number;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts `command` under the guard script in a new process group, with output appended to a log file. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: StartOptions,
): ManagedProcess {
  const out = openSync(options.logFile, 'a');
  try {
    const child = spawn('bash', [guardScript, String(options.parentPid), command, ...args], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...options.env },
    });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    child.unref();
    return { name, pid: child.pid, logFile: options.logFile };
  } finally {
    closeSync(out);
  }
}

/** True while any process of the group led by `pid` exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM to the process group, waits up to `graceMs`, then SIGKILLs what is left. */
export async function stopProcess(pid: number, graceMs = 15_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(100);
  if (isRunning(pid)) {
    signal('SIGKILL');
    while (isRunning(pid)) await sleep(50);
  }
}
