import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadKubeConfig, mintServiceAccountKubeconfig } from '../../src/dev/kubeconfig.ts';
import { adminKubeConfig, createNamespace, eventually, statusOf, uniqueName } from './helpers.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

describe('a ServiceAccount kubeconfig minted with TokenRequest', () => {
  it('is refused without a Role and allowed once one is bound', async () => {
    const namespace = await createNamespace(kc, 'rbac');
    const sa = 'operator';
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
    const file = join(tmpdir(), `${uniqueName('sa')}.kubeconfig`);
    const saClient = loadKubeConfig(
      await mintServiceAccountKubeconfig(kc, namespace, sa, file),
    ).makeApiClient(CoreV1Api);

    const denied = await saClient.listNamespacedSecret({ namespace }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(statusOf(denied)).toBe(403);
    expect(String((denied as { body?: unknown }).body)).toContain(`system:serviceaccount:${namespace}:${sa}`);

    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'secret-reader' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'secret-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
      },
    });
    // The RBAC authorizer reads from its own informer: the binding takes effect within moments.
    const list = await eventually(() => saClient.listNamespacedSecret({ namespace }), {
      what: 'list allowed',
    });
    expect(list.items).toBeInstanceOf(Array);

    // The Role grants reading only, and only in its namespace.
    const writeDenied = await saClient
      .createNamespacedSecret({ namespace, body: { metadata: { name: 'x' } } })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(statusOf(writeDenied)).toBe(403);
    const otherDenied = await saClient.listNamespacedSecret({ namespace: 'default' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(statusOf(otherDenied)).toBe(403);
  });
});
