import { CoreV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, createNamespace, eventually, statusOf } from './helpers.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

// These need kube-controller-manager: without it nothing collects dependents or finishes namespaces.
describe('kube-controller-manager in the test control plane', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createNamespace(kc, 'gc');
  });

  it('deletes an owned Secret when its owner is deleted (ownerReference garbage collection)', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: 'owner',
              uid: owner.metadata?.uid ?? '',
              controller: true,
            },
          ],
        },
        stringData: { key: 'value' },
      },
    });
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'unowned' } } });

    await core.deleteNamespacedConfigMap({
      namespace,
      name: 'owner',
      body: { propagationPolicy: 'Background' },
    });
    await eventually(
      () =>
        core.readNamespacedSecret({ namespace, name: 'owned' }).then(
          () => false,
          (err: unknown) => statusOf(err) === 404,
        ),
      { timeoutMs: 60_000, what: 'owned Secret collected' },
    );
    const unowned = await core.readNamespacedSecret({ namespace, name: 'unowned' });
    expect(unowned.metadata?.name).toBe('unowned');
  });

  it('creates the default ServiceAccount and kube-root-ca.crt in a new namespace', async () => {
    const sa = await eventually(() => core.readNamespacedServiceAccount({ namespace, name: 'default' }), {
      what: 'default ServiceAccount',
    });
    expect(sa.metadata?.name).toBe('default');
    const ca = await eventually(() => core.readNamespacedConfigMap({ namespace, name: 'kube-root-ca.crt' }), {
      what: 'kube-root-ca.crt',
    });
    expect(ca.data?.['ca.crt']).toContain('BEGIN CERTIFICATE');
  });

  it('finishes deleting a namespace instead of leaving it Terminating', async () => {
    const doomed = await createNamespace(kc, 'doomed');
    await core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: 'content' } } });
    await core.deleteNamespace({ name: doomed });
    await eventually(
      () =>
        core.readNamespace({ name: doomed }).then(
          () => false,
          (err: unknown) => statusOf(err) === 404,
        ),
      { timeoutMs: 90_000, what: 'namespace deleted' },
    );
  });
});
