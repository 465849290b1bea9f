import type { EventsV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { KubeEventRecorder } from './events.ts';

/** An Events API whose writes complete only when released, recording what was sent. */
function slowEventsApi() {
  const sent: string[] = [];
  const waiting: (() => void)[] = [];
  const later = (what: string) =>
    new Promise<object>((resolve) => {
      waiting.push(() => {
        sent.push(what);
        resolve({});
      });
    });
  const api = {
    createNamespacedEvent: ({ body }: { body: { reason: string } }) => later(`create ${body.reason}`),
    patchNamespacedEvent: () => later('patch series'),
  } as unknown as EventsV1Api;
  const release = () => {
    for (const go of waiting.splice(0)) go();
  };
  return { api, sent, release };
}

/** A recorder writing to `api`, quiet, on a fake clock. */
const recorderOn = (api: EventsV1Api) =>
  new KubeEventRecorder({
    api,
    controller: 'berth.dev/test',
    instance: 'i',
    logger: pino({ level: 'silent' }),
    clock: new FakeClock(),
  });

const token = {
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'RegistryToken',
  metadata: { name: 't', namespace: 'ns', uid: 'u1' },
};

describe('KubeEventRecorder', () => {
  it('does not hold up the reconcile while the event is written, and flush waits for it', async () => {
    const { api, sent, release } = slowEventsApi();
    const recorder = recorderOn(api);
    await recorder.record(token, { type: 'Normal', reason: 'Issued', note: 'issued credential c1' });
    expect(sent).toEqual([]);
    const flushed = recorder.flush();
    release();
    await flushed;
    expect(sent).toEqual(['create Issued']);
  });

  it('folds a repeat into the first event’s series once that one is written', async () => {
    const { api, sent, release } = slowEventsApi();
    const recorder = recorderOn(api);
    const event = { type: 'Warning' as const, reason: 'RateLimited', note: 'slow down' };
    await recorder.record(token, event);
    release();
    await recorder.flush();
    await recorder.record(token, event);
    release();
    await recorder.flush();
    expect(sent).toEqual(['create RateLimited', 'patch series']);
  });
});
