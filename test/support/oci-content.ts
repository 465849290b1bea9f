// The bytes of small OCI images, signatures and referrers, built in memory so a fixture knows every
// digest before it pushes and no two fixtures ever share one (each carries random content).
import { randomUUID } from 'node:crypto';
import { sha256 } from './registry-http.ts';

/** OCI image index media type. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** OCI image manifest media type. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image config media type. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Uncompressed OCI layer: its digest is also its diff_id. */
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
/** The layer of a cosign signature manifest (simple signing payload). */
export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer of a cosign attestation manifest (a DSSE envelope). */
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
/** The config of an OCI 1.1 artifact that has none of its own. */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

/** A platform as an index names it. */
export interface Platform {
  os: string;
  architecture: string;
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Bytes and the descriptor that names them. */
export interface Blob {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** A manifest (or index) with the blobs it needs in the registry before it can be put. */
export interface Built {
  manifest: Blob;
  blobs: Blob[];
}

/** "linux/arm64" → its parts; the os/architecture form the issue and crane use. */
export function parsePlatform(platform: string): Platform {
  const [os = '', architecture = ''] = platform.split('/');
  if (!os || !architecture) throw new Error(`platform ${platform} is not os/architecture`);
  return { os, architecture };
}

/** A blob holding `value` as JSON. */
export function jsonBlob(mediaType: string, value: unknown): Blob {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return { bytes, descriptor: { mediaType, digest: sha256(bytes), size: bytes.length } };
}

/**
 * A one-file ustar archive. mtime is 0, so a layer depends on its content only, never on the
 * clock; the content itself is what makes each layer unique.
 */
export function tarLayer(name: string, content: string): Blob {
  const data = new TextEncoder().encode(content);
  const header = new Uint8Array(512);
  const put = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset);
  const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`;
  put(0, name);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(data.length, 12));
  put(136, octal(0, 12));
  put(148, '        '); // the checksum counts its own field as spaces
  put(156, '0');
  put(257, 'ustar\u000000');
  const sum = header.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padded = Math.ceil(data.length / 512) * 512;
  const bytes = new Uint8Array(512 + padded + 1024);
  bytes.set(header, 0);
  bytes.set(data, 512);
  return { bytes, descriptor: { mediaType: OCI_LAYER, digest: sha256(bytes), size: bytes.length } };
}

/** An image manifest over `config` and `layers`, with `extra` fields (artifactType, subject). */
function manifestOf(config: Blob, layers: Blob[], extra: Record<string, unknown> = {}): Blob {
  return jsonBlob(OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...('artifactType' in extra ? { artifactType: extra.artifactType } : {}),
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
    ...('subject' in extra ? { subject: extra.subject } : {}),
    ...('annotations' in extra ? { annotations: extra.annotations } : {}),
  });
}

/** A runnable single-platform image: its own random layer and a config naming the platform. */
export function image(platform: Platform, label: string): Built {
  const layer = tarLayer(
    'berth-fixture.txt',
    `${label} ${platform.os}/${platform.architecture} ${randomUUID()}\n`,
  );
  const config = jsonBlob(OCI_CONFIG, {
    architecture: platform.architecture,
    os: platform.os,
    config: { Labels: { 'dev.berth.fixture': label } },
    rootfs: { type: 'layers', diff_ids: [layer.descriptor.digest] },
  });
  return { manifest: manifestOf(config, [layer]), blobs: [config, layer] };
}

/** An index over already built platform manifests, each descriptor carrying its platform. */
export function index(children: { manifest: Blob; platform: Platform }[]): Built {
  const manifests = children.map((c) => ({ ...c.manifest.descriptor, platform: c.platform }));
  return { manifest: jsonBlob(OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }), blobs: [] };
}

/**
 * What `cosign sign` pushes under `sha256-<hex>.sig`: a manifest whose one layer is the simple
 * signing payload naming the signed digest, the signature in an annotation (random bytes here:
 * nothing verifies it, the registry only has to keep it).
 */
export function cosignSignature(reference: string, signed: Descriptor): Built {
  const payload = jsonBlob(COSIGN_SIMPLESIGNING, {
    critical: {
      identity: { 'docker-reference': reference },
      image: { 'docker-manifest-digest': signed.digest },
      type: 'cosign container image signature',
    },
    optional: { nonce: randomUUID() },
  });
  payload.descriptor.annotations = {
    'dev.cosignproject.cosign/signature': Buffer.from(randomUUID()).toString('base64'),
  };
  const config = jsonBlob(OCI_CONFIG, {
    architecture: '',
    os: '',
    config: {},
    rootfs: { type: 'layers', diff_ids: [payload.descriptor.digest] },
  });
  return { manifest: manifestOf(config, [payload]), blobs: [config, payload] };
}

/** What `cosign attest` pushes under `sha256-<hex>.att`: one DSSE envelope layer. */
export function cosignAttestation(subject: Descriptor): Built {
  const statement = { _type: 'https://in-toto.io/Statement/v0.1', subject: [{ digest: subject.digest }] };
  const envelope = jsonBlob(DSSE_ENVELOPE, {
    payloadType: 'application/vnd.in-toto+json',
    payload: Buffer.from(JSON.stringify({ ...statement, nonce: randomUUID() })).toString('base64'),
    signatures: [],
  });
  envelope.descriptor.annotations = { predicateType: 'https://spdx.dev/Document' };
  const config = jsonBlob(OCI_CONFIG, {
    architecture: '',
    os: '',
    config: {},
    rootfs: { type: 'layers', diff_ids: [envelope.descriptor.digest] },
  });
  return { manifest: manifestOf(config, [envelope]), blobs: [config, envelope] };
}

/** An OCI 1.1 referrer: an artifact (an SBOM by default) whose `subject` is `subject`. */
export function referrer(subject: Descriptor, artifactType: string): Built {
  const empty = jsonBlob(OCI_EMPTY, {});
  const document = jsonBlob(artifactType, { spdxVersion: 'SPDX-2.3', name: randomUUID() });
  const { mediaType, digest, size } = subject;
  const manifest = manifestOf(empty, [document], { artifactType, subject: { mediaType, digest, size } });
  manifest.descriptor.artifactType = artifactType;
  return { manifest, blobs: [empty, document] };
}

/**
 * The OCI 1.1 referrers tag schema, for a registry without the referrers API: an index tagged
 * `sha256-<subject hex>` listing the subject's referrers, which the pushing client maintains.
 */
export function referrersIndex(referrers: Descriptor[]): Built {
  const manifests = referrers.map(({ mediaType, digest, size, artifactType }) => ({
    mediaType,
    digest,
    size,
    ...(artifactType ? { artifactType } : {}),
  }));
  return { manifest: jsonBlob(OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }), blobs: [] };
}

/**
 * The tag the tag schemas give `digest`: cosign's `sha256-<hex>.sig` / `.att`, or with no suffix
 * the OCI 1.1 referrers fallback `sha256-<hex>`.
 */
export function cosignTag(digest: string, suffix?: 'sig' | 'att'): string {
  return `${digest.replace(':', '-')}${suffix ? `.${suffix}` : ''}`;
}
