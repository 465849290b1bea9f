import { Readable } from 'node:stream';
import {
  HttpMethod,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  RequestContext,
} from '@kubernetes/client-node';
import Assembler from 'stream-json/assembler.js';
import { parser } from 'stream-json/parser.js';
import { fetch } from 'undici';

/** Options for {@link streamList}. */
export interface StreamListOptions<T extends KubernetesObject> {
  labelSelector?: string | undefined;
  /** What is kept of each object; it sees one object at a time, as the API server sent it. */
  transform: (obj: T) => T;
  /** Objects per page (`limit`); client-go's pager asks for 500. */
  pageSize?: number;
  /** How often an expired `continue` token (410) restarts the list from the beginning. */
  restarts?: number;
}

/** A list's metadata as it is on the wire (client-node's ListMeta names `continue` `_continue`). */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** client-go's default page size. */
export const PAGE_SIZE = 500;

/** Most characters of an error response read, for its status message. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** A failed list request, with the HTTP status in `code` as client-node's errors carry it. */
export class ListError extends Error {
  /** The HTTP status. */
  readonly code: number;

  constructor(path: string, code: number, reason: string) {
    super(`list ${path}: HTTP ${code}${reason ? ` ${reason}` : ''}`);
    this.name = 'ListError';
    this.code = code;
  }
}

/**
 * Lists a collection page by page (`limit`/`continue`) and parses each page as a stream, so that
 * only one object at a time is held whole before `transform` cuts it down: 100 Secrets of 1 MiB
 * are 130 MiB of JSON, more than the operator's heap, while their transformed forms are a few
 * hundred bytes each. Authenticates with the KubeConfig as client-node's own Watch does (same
 * dispatcher, so the same connection pool). The result has the list's resourceVersion, from
 * which a watch goes on. An expired continue token (410, after etcd compaction) starts over.
 */
export async function streamList<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  options: StreamListOptions<T>,
): Promise<KubernetesListObject<T>> {
  const restarts = options.restarts ?? 2;
  for (let attempt = 0; ; attempt++) {
    const items: T[] = [];
    let cont: string | undefined;
    let metadata: ListMeta = {};
    try {
      do {
        metadata = await listPage(kubeConfig, path, options, cont, (obj) =>
          items.push(options.transform(obj)),
        );
        cont = metadata.continue || undefined;
      } while (cont);
      const { continue: _, remainingItemCount: __, ...rest } = metadata;
      return { apiVersion: 'v1', kind: 'List', metadata: rest, items };
    } catch (err) {
      if (err instanceof ListError && err.code === 410 && cont !== undefined && attempt < restarts) continue;
      throw err;
    }
  }
}

/** Fetches one page and hands each item to `onItem` as soon as it is parsed; returns the list metadata. */
async function listPage<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  options: StreamListOptions<T>,
  cont: string | undefined,
  onItem: (obj: T) => void,
): Promise<ListMeta> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  url.searchParams.set('limit', String(options.pageSize ?? PAGE_SIZE));
  if (cont) url.searchParams.set('continue', cont);
  if (options.labelSelector) url.searchParams.set('labelSelector', options.labelSelector);
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  ctx.setHeaderParam('Accept', 'application/json');
  await kubeConfig.applySecurityAuthentication(ctx);
  const dispatcher = ctx.getDispatcher();
  const response = await fetch(url, {
    method: 'GET',
    headers: ctx.getHeaders(),
    ...(dispatcher ? { dispatcher } : {}),
  });
  if (response.status !== 200 || !response.body) {
    throw new ListError(path, response.status, await statusReason(response.body));
  }
  return parseList(Readable.fromWeb(response.body as never), onItem);
}

/**
 * Parses a Kubernetes list document from a stream: `metadata` is returned, every element of
 * `items` is assembled on its own and handed to `onItem`, everything else is skipped.
 */
export async function parseList<T>(body: Readable, onItem: (obj: T) => void): Promise<ListMeta> {
  const tokens = body.pipe(parser.asStream({ packValues: true, streamValues: false }));
  body.on('error', (err) => tokens.destroy(err));
  let depth = 0;
  let key: string | undefined;
  let metadata: ListMeta = {};
  let assembling: { asm: Assembler; into: 'metadata' | 'item' } | undefined;
  for await (const token of tokens as AsyncIterable<Parameters<Assembler['consume']>[0]>) {
    if (assembling) {
      assembling.asm.consume(token);
      if (!assembling.asm.done) continue;
      if (assembling.into === 'metadata') metadata = assembling.asm.current as ListMeta;
      else onItem(assembling.asm.current as T);
      assembling = undefined;
      continue;
    }
    switch (token.name) {
      case 'startObject':
      case 'startArray': {
        const into =
          depth === 1 && key === 'metadata'
            ? 'metadata'
            : depth === 2 && key === 'items'
              ? 'item'
              : undefined;
        if (into) {
          assembling = { asm: new Assembler(), into };
          assembling.asm.consume(token);
        } else depth++;
        break;
      }
      case 'endObject':
      case 'endArray':
        depth--;
        break;
      case 'keyValue':
        if (depth === 1) key = token.value as string;
        break;
    }
  }
  return metadata;
}

/** The reason of an error response (a Kubernetes Status), read up to a bound and never whole. */
async function statusReason(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return '';
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    if (text.length > ERROR_BODY_LIMIT) break;
  }
  try {
    const status = JSON.parse(text) as { reason?: string };
    return status.reason ?? '';
  } catch {
    return '';
  }
}
