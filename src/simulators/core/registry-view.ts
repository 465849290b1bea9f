/**
 * What a real registry holds in one repository, read when a simulator is asked: every manifest
 * with its tags, type, layers, index children and OCI 1.1 `subject`. A provider lists untagged
 * manifests too (index children, referrers, manifests whose tag moved on), which the distribution
 * API cannot list; see {@link RegistryView.snapshot} for how they are found.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type RegistryClient, type StoredManifest, sha256 } from './registry-client.ts';

/** A descriptor's platform, as an index names it. */
export interface Platform {
  architecture?: string | undefined;
  os?: string | undefined;
}

/** One manifest of a repository as the registry holds it now. */
export interface ManifestRecord {
  digest: string;
  mediaType: string;
  /** Tags on it now, sorted. */
  tags: string[];
  /** An index's manifests (with their platforms); empty for an image. */
  children: { digest: string; platform?: Platform | undefined }[];
  /** The manifest an OCI 1.1 referrer points at. */
  subject?: string | undefined;
  artifactType?: string | undefined;
  config?: { digest: string; mediaType: string; size: number } | undefined;
  layers: { digest: string; size: number }[];
}

/** A repository's manifests by digest. */
export interface RepositorySnapshot {
  repository: string;
  manifests: Map<string, ManifestRecord>;
}

/** What an image's config says about it (empty for an index or an artifact). */
export interface ImageConfig {
  architecture: string;
  os: string;
  /** The build's `created` time, in ms; undefined when absent or unreadable. */
  created?: number | undefined;
}

/** Whether a record is an image index (OCI) or manifest list (Docker). */
export function isIndex(record: Pick<ManifestRecord, 'mediaType'>): boolean {
  return /index|manifest\.list/.test(record.mediaType);
}

/** Bytes of an image's layers (what providers call its size); 0 for an index. */
export function layerBytes(record: Pick<ManifestRecord, 'layers'>): number {
  return record.layers.reduce((sum, layer) => sum + layer.size, 0);
}

const IMAGE_CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/** Reads the registry behind a simulator; contents by digest never change, so they are cached. */
export class RegistryView {
  readonly client: RegistryClient;
  private readonly storageDir: string | undefined;
  private readonly parsed = new Map<string, Omit<ManifestRecord, 'tags'>>();
  private readonly configs = new Map<string, ImageConfig>();
  /** Digests seen per repository, looked for again later: they may be untagged by then. */
  private readonly known = new Map<string, Set<string>>();
  private referrersServed: boolean | undefined;

  /**
   * `storageDir` is the registry's filesystem root (`storage.filesystem.rootdirectory`), when it
   * is on this machine: its revision links are the one complete list of a repository's manifests.
   */
  constructor(client: RegistryClient, options: { storageDir?: string | undefined } = {}) {
    this.client = client;
    this.storageDir = options.storageDir;
  }

  /** Repository names in the registry, those under `prefix` when given. */
  async repositories(prefix = ''): Promise<string[]> {
    return (await this.client.catalog()).filter((name) => name.startsWith(prefix));
  }

  /** Notes a digest to look for in a repository from now on (a test names one it pushed untagged). */
  remember(repository: string, digest: string): void {
    const set = this.known.get(repository) ?? new Set<string>();
    this.known.set(repository, set.add(digest));
  }

  /**
   * Every manifest of the repository now. Tags come from the tag list (resolved by HEAD, so a tag
   * moved a moment ago shows on its new digest); untagged manifests from the storage's revision
   * links where the storage is readable, from the children of every index (which includes the
   * referrers tag schema's `sha256-<digest>` indexes), from the referrers API where the registry
   * serves it, and from every digest this view has seen in the repository before.
   */
  async snapshot(repository: string): Promise<RepositorySnapshot> {
    const tags = await this.client.tags(repository);
    const tagged = new Map<string, string[]>();
    await eachLimited(tags, 8, async (tag) => {
      const head = await this.client.head(repository, tag);
      if (head) tagged.set(head.digest, [...(tagged.get(head.digest) ?? []), tag]);
    });
    const stored = await this.storedRevisions(repository);
    const present = new Set([...tagged.keys(), ...stored]);
    const queue = [...new Set([...present, ...(this.known.get(repository) ?? [])])];
    const manifests = new Map<string, ManifestRecord>();
    const visited = new Set<string>();
    while (queue.length > 0) {
      const batch = queue.splice(0).filter((d) => !visited.has(d));
      for (const digest of batch) visited.add(digest);
      await eachLimited(batch, 8, async (digest) => {
        const record = await this.load(repository, digest, present.has(digest));
        if (!record) {
          this.known.get(repository)?.delete(digest);
          return;
        }
        manifests.set(digest, { ...record, tags: (tagged.get(digest) ?? []).sort() });
        this.remember(repository, digest);
        queue.push(...record.children.map((c) => c.digest));
        queue.push(...(await this.referrers(repository, digest)));
      });
    }
    return { repository, manifests };
  }

  /** The config of an image manifest (architecture, os, created), read once per digest. */
  async config(repository: string, record: ManifestRecord): Promise<ImageConfig> {
    const none: ImageConfig = { architecture: '', os: '' };
    if (!record.config || !IMAGE_CONFIG_TYPES.has(record.config.mediaType)) return none;
    const cached = this.configs.get(record.config.digest);
    if (cached) return cached;
    const bytes = await this.client.blob(repository, record.config.digest);
    if (!bytes) return none;
    const json = parseJson(bytes) as { architecture?: unknown; os?: unknown; created?: unknown };
    const created = typeof json.created === 'string' ? Date.parse(json.created) : Number.NaN;
    const config: ImageConfig = {
      architecture: typeof json.architecture === 'string' ? json.architecture : '',
      os: typeof json.os === 'string' ? json.os : '',
      created: Number.isNaN(created) ? undefined : created,
    };
    this.configs.set(record.config.digest, config);
    return config;
  }

  /** The parsed manifest, or undefined when the repository does not hold it (any more). */
  private async load(
    repository: string,
    digest: string,
    knownPresent: boolean,
  ): Promise<Omit<ManifestRecord, 'tags'> | undefined> {
    const cached = this.parsed.get(digest);
    if (cached) {
      if (knownPresent || (await this.client.head(repository, digest))) return cached;
      return undefined;
    }
    const stored = await this.client.manifest(repository, digest);
    if (!stored) return undefined;
    const record = parseManifest(stored);
    this.parsed.set(digest, record);
    return record;
  }

  private async referrers(repository: string, digest: string): Promise<string[]> {
    if (this.referrersServed === false) return [];
    const found = await this.client.referrers(repository, digest);
    this.referrersServed = found !== undefined;
    return found ?? [];
  }

  /** Digests with a live revision link in the filesystem storage (none when it is not readable). */
  private async storedRevisions(repository: string): Promise<string[]> {
    if (!this.storageDir) return [];
    const base = join(this.storageDir, 'docker/registry/v2/repositories', repository, '_manifests/revisions');
    const digests: string[] = [];
    for (const algorithm of await readdir(base).catch(() => [] as string[])) {
      for (const hex of await readdir(join(base, algorithm)).catch(() => [] as string[])) {
        // A deleted manifest leaves its directory behind without the link.
        const files = await readdir(join(base, algorithm, hex)).catch(() => [] as string[]);
        if (files.includes('link')) digests.push(`${algorithm}:${hex}`);
      }
    }
    return digests;
  }
}

/** The parts of a manifest the simulators list. */
export function parseManifest(stored: StoredManifest): Omit<ManifestRecord, 'tags'> {
  const json = parseJson(stored.bytes) as {
    mediaType?: string;
    artifactType?: string;
    manifests?: { digest?: string; platform?: Platform }[];
    config?: { digest?: string; mediaType?: string; size?: number };
    layers?: { digest?: string; size?: number }[];
    subject?: { digest?: string };
  };
  return {
    digest: stored.digest || sha256(stored.bytes),
    mediaType: json.mediaType ?? stored.mediaType,
    children: (json.manifests ?? []).flatMap((m) =>
      m.digest ? [{ digest: m.digest, platform: m.platform }] : [],
    ),
    subject: json.subject?.digest,
    artifactType: json.artifactType,
    config: json.config?.digest
      ? { digest: json.config.digest, mediaType: json.config.mediaType ?? '', size: json.config.size ?? 0 }
      : undefined,
    layers: (json.layers ?? []).map((l) => ({ digest: l.digest ?? '', size: l.size ?? 0 })),
  };
}

function parseJson(bytes: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Runs `fn` over the items, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
