import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseList } from './stream-list.ts';

/** A list document as the API server sends it, cut into small chunks as a socket would deliver it. */
function chunked(doc: unknown, size = 7): Readable {
  const text = JSON.stringify(doc);
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return Readable.from(chunks);
}

describe('parseList', () => {
  it('hands over each item on its own and returns the list metadata, whatever the key order', async () => {
    const items = [
      { metadata: { name: 'a', labels: { x: 'y' } }, data: { k: 'v' }, list: [[1], { deep: [] }] },
      { metadata: { name: 'b' }, items: [{ not: 'an item' }], metadata2: { continue: 'no' } },
    ];
    const seen: unknown[] = [];
    const metadata = await parseList(
      chunked({
        kind: 'SecretList',
        items,
        apiVersion: 'v1',
        metadata: { resourceVersion: '42', continue: 'c1' },
      }),
      (obj) => seen.push(obj),
    );
    expect(seen).toEqual(items);
    expect(metadata).toEqual({ resourceVersion: '42', continue: 'c1' });
  });

  it('sees an empty or missing items array as no items', async () => {
    const seen: unknown[] = [];
    expect(
      await parseList(chunked({ metadata: { resourceVersion: '1' }, items: [] }), (o) => seen.push(o)),
    ).toEqual({
      resourceVersion: '1',
    });
    expect(await parseList(chunked({ metadata: {}, items: null }), (o) => seen.push(o))).toEqual({});
    expect(seen).toEqual([]);
  });

  it('fails on a document cut short, instead of returning part of a list as if it were whole', async () => {
    const text = JSON.stringify({ metadata: {}, items: [{ a: 1 }, { b: 2 }] }).slice(0, -8);
    await expect(parseList(Readable.from([text]), () => undefined)).rejects.toThrow();
  });
});
