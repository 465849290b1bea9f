// A pull every second with whatever a Secret holds at that moment, as kubelet does on each Pod start.
import { setTimeout as sleep } from 'node:timers/promises';
import { craneWith, type PullSecret } from './tools.ts';

/** What the probe has seen so far. */
export interface ProbeTally {
  pulls: number;
  failures: number;
  /** The credentials it pulled with (their IDs at the provider), in the order first seen. */
  credentials: string[];
  /** The first failure's message, if any. */
  firstError?: string;
}

/** A running probe: its live tally, and a way to stop it after the pull under way. */
export interface Probe {
  tally: ProbeTally;
  stop(): Promise<ProbeTally>;
}

/**
 * Every second reads the Secret with `readSecret` and resolves
 * `image` with exactly that login (`crane digest`, a manifest pull through the registry's token
 * auth). A failed read or pull counts as a failure.
 */
export function startProbe(readSecret: () => Promise<PullSecret>, image: string): Probe {
  const tally: ProbeTally = { pulls: 0, failures: 0, credentials: [] };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      tally.pulls++;
      try {
        const { dockerConfig, credential } = await readSecret();
        if (!tally.credentials.includes(credential)) tally.credentials.push(credential);
        await craneWith(dockerConfig, ['digest', image]);
      } catch (err) {
        tally.failures++;
        tally.firstError ??= (err as Error).message.split('\n')[0] ?? 'failed';
      }
      await sleep(Math.max(0, 1_000 - (Date.now() - started)));
    }
  })();
  return {
    tally,
    async stop() {
      stopped = true;
      await loop;
      return tally;
    },
  };
}
