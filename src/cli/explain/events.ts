import type { EventsV1Event } from '@kubernetes/client-node';
import { describeKubeError } from '../errors.ts';
import { timeOf } from '../format/time.ts';
import type { Kube } from '../kube.ts';
import type { BerthObject } from '../objects.ts';

/** An event about an object, as `berth explain` shows it. */
export interface ObjectEvent {
  /** When it last happened (a repeated event's series moves this forward). */
  at: string | undefined;
  type: string;
  reason: string;
  count: number;
  note: string;
  reporter: string;
}

const iso = (d: Date | string | undefined) => {
  const ms = timeOf(d ?? undefined);
  return ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z');
};

/** Turns an events.k8s.io/v1 Event into the fields shown; the series count and time win over the first. */
export function toObjectEvent(e: EventsV1Event): ObjectEvent {
  const at =
    iso(e.series?.lastObservedTime) ??
    iso(e.eventTime) ??
    iso(e.deprecatedLastTimestamp) ??
    iso(e.metadata?.creationTimestamp);
  return {
    at,
    type: e.type ?? '',
    reason: e.reason ?? '',
    count: e.series?.count ?? e.deprecatedCount ?? 1,
    note: e.note ?? '',
    reporter: e.reportingController ?? '',
  };
}

/**
 * The most recent events regarding this object (this incarnation: matched by uid), oldest first.
 * A refusal to list events is returned as a line to show instead; the rest of `explain` stands.
 */
export async function recentEvents(
  kube: Kube,
  obj: BerthObject,
  limit = 10,
): Promise<ObjectEvent[] | string> {
  const { namespace, uid, name } = obj.metadata;
  const fieldSelector = uid ? `regarding.uid=${uid}` : `regarding.name=${name},regarding.kind=${obj.kind}`;
  try {
    const list = await kube.events.listNamespacedEvent({ namespace, fieldSelector });
    return list.items
      .map(toObjectEvent)
      .sort((a, b) => (timeOf(a.at) ?? 0) - (timeOf(b.at) ?? 0))
      .slice(-limit);
  } catch (err) {
    return describeKubeError(err, `list events in namespace ${namespace}`, kube.server);
  }
}
