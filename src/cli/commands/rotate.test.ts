import { describe, expect, it } from 'vitest';
import type { Kube } from '../kube.ts';
import type { BerthObject } from '../objects.ts';
import { pollRotation, rotationReport } from './rotate.ts';

const askedAt = Date.parse('2026-06-01T12:00:00Z');

/** A token whose rotation the operator handled: a new credential, Ready False NoAccess (issue 20). */
const rotated: BerthObject = {
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'RegistryToken',
  metadata: { name: 'deploy', namespace: 'shop' },
  spec: {},
  status: {
    credentialId: 'acme+berth-2',
    credentialName: 'berth-2',
    secretName: 'deploy',
    lastHandledReconcileAt: 'r1',
    reachesNothing: true,
    scopeProblems: ['backend: the repository does not exist yet'],
    conditions: [
      { type: 'Ready', status: 'False', reason: 'NoAccess', message: 'reaches none of its scopes' },
    ],
  },
};

function kubeWith(obj: BerthObject): Kube {
  return {
    custom: { getNamespacedCustomObject: async () => structuredClone(obj) },
    core: {
      readNamespacedSecret: async () => ({
        metadata: { annotations: { 'berth.dev/credential-id': 'acme+berth-2' } },
      }),
    },
  } as unknown as Kube;
}

describe('berth rotate on a token whose new credential reaches none of its scopes yet', () => {
  const req = { token: rotated, value: 'r1', before: 'acme+berth-1', beforeName: 'berth-1', askedAt };

  it('is done once the rotation happened, instead of waiting for a Ready that needs a repository', async () => {
    const poll = await pollRotation(kubeWith(rotated), req, askedAt + 2_000);
    expect(poll).toMatchObject({ done: { metadata: { name: 'deploy' } } });
  });

  it('says what the new credential does not reach', () => {
    const report = rotationReport(req, rotated, 2_000, askedAt + 2_000);
    expect(report).toContain(
      'it reaches none of its scopes yet (backend: the repository does not exist yet); berth grants them when they exist',
    );
  });
});
