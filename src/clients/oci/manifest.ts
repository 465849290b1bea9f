import { createHash } from 'node:crypto';
import {
  type Descriptor,
  type ImageManifest,
  ImageManifestSchema,
  INDEX_MEDIA_TYPES,
  type IndexManifest,
  IndexManifestSchema,
} from './schemas.ts';

/** A manifest as the client returns it: an image (config + layers) or an index of manifests. */
export type ParsedManifest = ({ kind: 'image' } & ImageManifest) | ({ kind: 'index' } & IndexManifest);

/** What {@link OciClient.headManifest} reports: the descriptor of the manifest a reference names. */
export interface ManifestHead {
  digest: string;
  mediaType: string;
  /** Bytes of the manifest itself. */
  size: number;
}

/** What {@link OciClient.getManifest} reports. */
export interface ManifestInfo extends ManifestHead {
  manifest: ParsedManifest;
  /**
   * Config plus layer bytes of an image, as its manifest declares them: what pulling it costs and,
   * for blobs no other image shares, what garbage collection frees once it is deleted. Undefined
   * for an index, whose children are separate manifests.
   */
  imageSize: number | undefined;
}

/** The canonical digest of manifest bytes: what registries and `crane digest` report. */
export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Parses manifest JSON by shape, since OCI makes `mediaType` optional: `manifests` means an index,
 * `config` and `layers` an image. The media type comes from the body when present, else from
 * the response's Content-Type. Resolves undefined for anything else (schema 1, not JSON).
 */
export function parseManifest(
  json: unknown,
  contentType: string | undefined,
): { manifest: ParsedManifest; mediaType: string } | undefined {
  const declared = (json as { mediaType?: unknown } | undefined)?.mediaType;
  const mediaType = typeof declared === 'string' ? declared : contentType?.split(';')[0]?.trim();
  if (!mediaType) return undefined;
  const looksLikeIndex =
    INDEX_MEDIA_TYPES.includes(mediaType) || Array.isArray((json as { manifests?: unknown })?.manifests);
  if (looksLikeIndex) {
    const index = IndexManifestSchema.safeParse(json);
    return index.success ? { manifest: { kind: 'index', ...index.data }, mediaType } : undefined;
  }
  const image = ImageManifestSchema.safeParse(json);
  return image.success ? { manifest: { kind: 'image', ...image.data }, mediaType } : undefined;
}

/** Config plus layers of an image manifest; undefined for an index. */
export function imageSize(manifest: ParsedManifest): number | undefined {
  if (manifest.kind !== 'image') return undefined;
  return manifest.layers.reduce((sum: number, l: Descriptor) => sum + l.size, manifest.config.size);
}
