// Vitest global setup for the integration project: one control plane per test run, stopped by PID
// at the end (and by the guard processes if the run is killed).
import type { TestProject } from 'vitest/node';
import { ControlPlane } from '../../src/dev/control-plane.ts';
import { startKind } from './kind.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the shared test cluster. */
    kubeconfig: string;
    /** Which cluster the run uses: `local` (built from Go modules) or `kind`. */
    clusterKind: 'local' | 'kind';
  }
}

/** Starts the cluster and returns its teardown. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  if (process.env.BERTH_CLUSTER === 'kind') {
    const kind = await startKind();
    project.provide('kubeconfig', kind.kubeconfig);
    project.provide('clusterKind', 'kind');
    return () => kind.stop();
  }
  const plane = await ControlPlane.start();
  console.warn(`[cluster] control plane ready at ${plane.state.server} in ${Date.now() - started} ms`);
  project.provide('kubeconfig', plane.kubeconfig);
  project.provide('clusterKind', 'local');
  return async () => {
    await plane.stop();
    const left = plane.runningPids();
    if (left.length > 0)
      throw new Error(`control plane processes still running after stop: ${left.join(', ')}`);
  };
}
