import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, createNamespace, eventually, statusOf } from './helpers.ts';

const kc = adminKubeConfig();
const extensions = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

const group = 'foundation.test.berth.dev';
const crd: V1CustomResourceDefinition = {
  metadata: { name: `gadgets.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer', minimum: 1, maximum: 10 } },
              },
            },
          },
        },
      },
    ],
  },
};

describe('CustomResourceDefinition on the real kube-apiserver', () => {
  afterAll(async () => {
    await extensions
      .deleteCustomResourceDefinition({ name: crd.metadata?.name ?? '' })
      .catch(() => undefined);
  });

  it('installs, becomes Established and serves objects validated by its schema', async () => {
    await extensions.createCustomResourceDefinition({ body: crd });
    const established = await eventually(
      async () => {
        const got = await extensions.readCustomResourceDefinition({ name: `gadgets.${group}` });
        return got.status?.conditions?.find((c) => c.type === 'Established' && c.status === 'True');
      },
      { what: 'CRD Established' },
    );
    expect(established.status).toBe('True');

    const namespace = await createNamespace(kc, 'crd');
    const target = { group, version: 'v1alpha1', namespace, plural: 'gadgets' };
    // The discovery of a new CRD takes a moment to reach every handler; creation may 404 briefly.
    await eventually(
      () =>
        custom.createNamespacedCustomObject({
          ...target,
          body: {
            apiVersion: `${group}/v1alpha1`,
            kind: 'Gadget',
            metadata: { name: 'ok' },
            spec: { size: 3 },
          },
        }),
      { what: 'first Gadget created' },
    );
    const rejected = await custom
      .createNamespacedCustomObject({
        ...target,
        body: {
          apiVersion: `${group}/v1alpha1`,
          kind: 'Gadget',
          metadata: { name: 'bad' },
          spec: { size: 99 },
        },
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(statusOf(rejected)).toBe(422);
    expect(String((rejected as { body?: unknown }).body)).toContain('spec.size');
  });
});
