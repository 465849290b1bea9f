import { describe, expect, it } from 'vitest';
import { boundRecord, boundValue, compactObject, digestMarker, LAST_APPLIED_ANNOTATION } from './bounded.ts';

describe('bounded cache values', () => {
  it('keeps short values and replaces long ones by a digest that compares equal for equal values', () => {
    expect(boundValue('2026-01-01T00:00:00Z', 64)).toBe('2026-01-01T00:00:00Z');
    const long = 'x'.repeat(100_000);
    expect(boundValue(long, 64)).toBe(digestMarker(long));
    expect(boundValue(long, 64)).toBe(boundValue(`${'x'.repeat(99_999)}x`, 64));
    expect(boundValue(long, 64)).not.toBe(boundValue(`${long}y`, 64));
    expect(boundValue(long, 64).length).toBeLessThan(100);
  });

  it('bounds a map in total, keeping preferred keys first and dropping the named ones', () => {
    const record: Record<string, string> = { 'berth.dev/own': 'mine', [LAST_APPLIED_ANNOTATION]: '{}' };
    for (let i = 0; i < 1000; i++) record[`a.example.com/k${String(i).padStart(4, '0')}`] = 'v'.repeat(50);
    const kept = boundRecord(record, {
      maxValue: 1024,
      maxTotal: 4096,
      first: (k) => k.startsWith('berth.dev/'),
      drop: (k) => k === LAST_APPLIED_ANNOTATION,
    }) as Record<string, string>;
    expect(kept['berth.dev/own']).toBe('mine');
    expect(kept[LAST_APPLIED_ANNOTATION]).toBeUndefined();
    expect(JSON.stringify(kept).length).toBeLessThan(5000);
    expect(Object.keys(kept).length).toBeGreaterThan(10);
  });

  it('compactObject drops managedFields and bounds metadata, and gives the same result applied twice', () => {
    const obj = {
      metadata: {
        name: 'n',
        namespace: 'ns',
        resourceVersion: '7',
        managedFields: [{ manager: 'kubectl' }],
        annotations: {
          [LAST_APPLIED_ANNOTATION]: 'x'.repeat(256 * 1024),
          'berth.dev/rotate': 'y'.repeat(5000),
        },
        labels: { team: 'a' },
      },
      spec: { a: 1 },
    };
    const once = compactObject(obj);
    expect(once).toEqual({
      metadata: {
        name: 'n',
        namespace: 'ns',
        resourceVersion: '7',
        labels: { team: 'a' },
        annotations: { 'berth.dev/rotate': digestMarker('y'.repeat(5000)) },
      },
      spec: { a: 1 },
    });
    expect(compactObject(once)).toEqual(once);
  });
});
