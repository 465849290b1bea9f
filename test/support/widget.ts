import type { ApiextensionsV1Api, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { z } from 'zod';
import type { ResourceType } from '../../src/controllers/runtime/resource.ts';

/** A throwaway kind for exercising the engine without any registry logic. */
export const WIDGET: ResourceType = {
  group: 'engine.test.berth.dev',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
};

/** The Widget type in another API group, for tests that need a CRD of their own. */
export function widgetTypeIn(group: string): ResourceType {
  return { ...WIDGET, group };
}

/**
 * The CRD is deliberately lax (any spec) so that objects the zod schema rejects reach the
 * controller, as objects created before a stricter CRD version would.
 */
export function widgetCrdFor(type: ResourceType): V1CustomResourceDefinition {
  return {
    metadata: { name: `${type.plural}.${type.group}` },
    spec: {
      group: type.group,
      scope: 'Namespaced',
      names: { plural: WIDGET.plural, singular: 'widget', kind: WIDGET.kind, listKind: 'WidgetList' },
      versions: [
        {
          name: WIDGET.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
              },
            },
          },
        },
      ],
    },
  };
}

/** What the engine's zod validation accepts: a size from 1 to 10, an optional failure switch and work time. */
export const WidgetSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal('Widget'),
  metadata: z.looseObject({ name: z.string(), namespace: z.string(), generation: z.number().optional() }),
  spec: z.object({
    size: z.number().int().min(1).max(10),
    fail: z.boolean().optional(),
    workMs: z.number().int().min(0).max(5_000).optional(),
    requeueMs: z.number().int().min(1).optional(),
    guarded: z.boolean().optional(),
  }),
  status: z.record(z.string(), z.unknown()).optional(),
});

/** A parsed Widget. */
export type Widget = z.infer<typeof WidgetSchema>;

/** Installs the Widget CRD (idempotent) and waits until it is Established and served. */
export async function installWidgetCrd(api: ApiextensionsV1Api, type: ResourceType = WIDGET): Promise<void> {
  const widgetCrd = widgetCrdFor(type);
  await api.createCustomResourceDefinition({ body: widgetCrd }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name: widgetCrd.metadata?.name ?? '' });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
    if (Date.now() > deadline) throw new Error('Widget CRD not Established');
    await new Promise((r) => setTimeout(r, 200));
  }
  // Give the API server's discovery a moment to serve the new resource.
  await new Promise((r) => setTimeout(r, 1_000));
}

/** A Widget manifest. */
export function widget(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
  type: ResourceType = WIDGET,
) {
  return {
    apiVersion: `${type.group}/${type.version}`,
    kind: WIDGET.kind,
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec,
  };
}
