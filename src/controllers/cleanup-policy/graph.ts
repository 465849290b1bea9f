/**
 * What a cleanup run knows of how manifests refer to each other: the platform manifests an index
 * lists, and the subject an OCI 1.1 referrer (signature, SBOM, attestation) points at. Listings do
 * not say either (IONOS lists an index's platform manifests as untagged artifacts of their own), so
 * the run reads the manifests that matter through the registry's OCI API; cosign-style tags
 * (`sha256-<hex>.sig`) name their subject in the tag itself.
 */

/** What reading one manifest told: its media type, the children of an index, the subject of a referrer. */
export interface ManifestFacts {
  mediaType: string;
  /** Digests an index lists (empty for an image). */
  children: string[];
  /** The digest of the manifest this one refers to (OCI 1.1 `subject`), if any. */
  subject?: string | undefined;
}

/** Why reading a manifest failed (the error's class and message, bounded; provider errors carry no secret). */
export interface Unreadable {
  unreadable: string;
}

/** A manifest's facts, `gone` when the registry has no such manifest (404), {@link Unreadable} when reading failed. */
export type ManifestReading = ManifestFacts | 'gone' | Unreadable;

/** Whether a reading is the manifest's facts (not gone, not unreadable). */
export const isFacts = (reading: ManifestReading | undefined): reading is ManifestFacts =>
  typeof reading === 'object' && 'mediaType' in reading;

/** Readings by `repository@digest`; a manifest not in it was not read. */
export type ManifestGraph = ReadonlyMap<string, ManifestReading>;

/** The key of a manifest in a {@link ManifestGraph}. */
export const graphKey = (repository: string, digest: string): string => `${repository}@${digest}`;

/** Media types of an image index or Docker manifest list, whose children are separate manifests. */
export const INDEX_MEDIA_TYPES: readonly string[] = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/**
 * Whether a listed manifest may be an index: its media type says so, or the provider did not say
 * (then only reading it tells).
 */
export function mayBeIndex(mediaType: string | undefined): boolean {
  return mediaType === undefined || INDEX_MEDIA_TYPES.includes(mediaType);
}

// cosign: `.sig`, `.att`, `.sbom`; the OCI referrers tag schema: the bare `sha256-<hex>`.
const SCHEMA_TAG = /^sha256-([0-9a-f]{64})(?:\.([a-z0-9]+))?$/;

/** The subject digest a tag in the referrers tag schema names (`sha256-<hex>.sig` → `sha256:<hex>`), if it is one. */
export function schemaTagSubject(tag: string): string | undefined {
  const match = SCHEMA_TAG.exec(tag);
  return match ? `sha256:${match[1]}` : undefined;
}

/** What a referrer is called in a reason, from its schema tag's suffix. */
export function referrerKind(tags: readonly string[]): string {
  for (const tag of tags) {
    const suffix = SCHEMA_TAG.exec(tag)?.[2];
    if (suffix === 'sig') return 'signature';
    if (suffix === 'att') return 'attestation';
    if (suffix === 'sbom') return 'SBOM';
  }
  return 'referrer';
}

/** A digest shortened for reasons: `sha256:` and 12 hex digits, as `docker images` shows them. */
export const shortDigest = (digest: string): string => digest.slice(0, 'sha256:'.length + 12);

/** A manifest to read, and why (for the log). */
export interface ReadRequest {
  repository: string;
  digest: string;
}

/** Reads one manifest's facts (the OCI API with the run's credential). */
export type ManifestFactsReader = (repository: string, digest: string) => Promise<ManifestFacts | 'gone'>;

/**
 * Reads the given manifests, a few at a time. A failed read is recorded `unreadable`, never
 * thrown: the planner keeps what it could not check.
 */
export async function readGraph(
  read: ManifestFactsReader,
  wanted: readonly ReadRequest[],
  into: Map<string, ManifestReading> = new Map(),
  concurrency = 4,
): Promise<Map<string, ManifestReading>> {
  const queue = wanted.filter((w) => !into.has(graphKey(w.repository, w.digest)));
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const key = graphKey(next.repository, next.digest);
      try {
        into.set(key, await read(next.repository, next.digest));
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        into.set(key, { unreadable: `${e.name}: ${e.message}`.slice(0, 120) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return into;
}
