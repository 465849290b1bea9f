// Pull checks against a real registry, the evidence an end-to-end cleanup test rests on: "kept"
// means every byte of the image still comes back with the digest it was pushed with, "gone" means
// the registry says 404. Anything else (auth refused, 5xx, a wrong digest) throws, so a test can
// never pass because the registry was unreachable.
import { parsePlatform } from './oci-content.ts';
import { RegistryHttpError, type RegistryLogin, RegistrySession, sha256 } from './registry-http.ts';

/** Every manifest kind a pull accepts: OCI and Docker, images and indexes. */
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** A manifest as the registry served it. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  /** The parsed manifest (index or image): `manifests`, `config`, `layers`, `subject`, ... */
  json: ManifestJson;
}

/** The fields of a manifest the checks read. */
export interface ManifestJson {
  mediaType?: string;
  artifactType?: string;
  manifests?: {
    digest: string;
    mediaType: string;
    artifactType?: string;
    platform?: { os: string; architecture: string };
  }[];
  config?: { digest: string; mediaType: string };
  layers?: { digest: string; mediaType: string }[];
  subject?: { digest: string; mediaType: string; size: number };
  annotations?: Record<string, string>;
}

/** `[host/]repo:tag` or `[host/]repo@sha256:…` → repository and reference (tag or digest). */
export function parseRef(host: string, ref: string): { repository: string; reference: string } {
  const path = ref.startsWith(`${host}/`) ? ref.slice(host.length + 1) : ref;
  const at = path.indexOf('@');
  if (at !== -1) return { repository: path.slice(0, at), reference: path.slice(at + 1) };
  const colon = path.lastIndexOf(':');
  if (colon === -1 || path.indexOf('/', colon) !== -1) return { repository: path, reference: 'latest' };
  return { repository: path.slice(0, colon), reference: path.slice(colon + 1) };
}

/** Reads a manifest by tag or digest; undefined when the registry answers 404. */
export async function fetchManifest(
  host: string,
  login: RegistryLogin | undefined,
  ref: string,
): Promise<FetchedManifest | undefined> {
  const { repository, reference } = parseRef(host, ref);
  return getManifest(new RegistrySession(host, login), repository, reference);
}

/** Deletes a manifest by digest (which removes every tag on it); false when it was not there. */
export async function deleteManifest(
  host: string,
  login: RegistryLogin | undefined,
  repository: string,
  digest: string,
): Promise<boolean> {
  const res = await new RegistrySession(host, login).expect(
    [202, 404],
    'DELETE',
    repository,
    `manifests/${digest}`,
  );
  await res.arrayBuffer();
  return res.status === 202;
}

/** The repository's tags, sorted; empty when the registry does not know the repository. */
export async function listTags(
  host: string,
  login: RegistryLogin | undefined,
  repository: string,
): Promise<string[]> {
  const res = await new RegistrySession(host, login).expect(
    [200, 404],
    'GET',
    repository,
    'tags/list?n=10000',
  );
  if (res.status === 404) {
    await res.arrayBuffer();
    return [];
  }
  const { tags } = (await res.json()) as { tags?: string[] | null };
  return [...(tags ?? [])].sort();
}

/**
 * Whether the whole image behind `ref` can be pulled: its manifest, its config and every layer, each
 * matching its digest. For an index, `platform` (`linux/arm64`) picks the child to pull (false when
 * the index has none for it); without one, every child must pull. False on any 404; throws on
 * anything else.
 */
export async function canPull(
  host: string,
  login: RegistryLogin | undefined,
  ref: string,
  options: { platform?: string } = {},
): Promise<boolean> {
  const { repository, reference } = parseRef(host, ref);
  const session = new RegistrySession(host, login);
  const wanted = options.platform ? parsePlatform(options.platform) : undefined;
  const manifest = await getManifest(session, repository, reference);
  if (!manifest) return false;
  const children = manifest.json.manifests;
  if (!children) return pullImage(session, repository, manifest, wanted);
  const picked = children.filter(
    (c) => !wanted || (c.platform?.os === wanted.os && c.platform?.architecture === wanted.architecture),
  );
  if (picked.length === 0) return false;
  for (const child of picked) {
    const fetched = await getManifest(session, repository, child.digest);
    if (!fetched || !(await pullImage(session, repository, fetched, wanted))) return false;
  }
  return true;
}

/** Config and layers of one image manifest; a config naming another platform than `wanted` is false. */
async function pullImage(
  session: RegistrySession,
  repository: string,
  manifest: FetchedManifest,
  wanted: { os: string; architecture: string } | undefined,
): Promise<boolean> {
  const { config, layers = [] } = manifest.json;
  if (!config) throw new Error(`${repository}@${manifest.digest} has neither manifests nor config`);
  const configBytes = await getBlob(session, repository, config.digest);
  if (!configBytes) return false;
  if (wanted && config.mediaType.endsWith('config.v1+json')) {
    const { os, architecture } = JSON.parse(new TextDecoder().decode(configBytes)) as Record<string, string>;
    // Signature and attestation configs name no platform; they pull for any.
    if (os && architecture && (os !== wanted.os || architecture !== wanted.architecture)) return false;
  }
  for (const layer of layers) if (!(await getBlob(session, repository, layer.digest))) return false;
  return true;
}

async function getManifest(
  session: RegistrySession,
  repository: string,
  reference: string,
): Promise<FetchedManifest | undefined> {
  const path = `manifests/${reference}`;
  const res = await session.expect([200, 404], 'GET', repository, path, { headers: { accept: ACCEPT } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status === 404) return undefined;
  const digest = sha256(bytes);
  if (reference.startsWith('sha256:') && digest !== reference)
    throw new RegistryHttpError(
      'GET',
      `${repository}/${path}`,
      200,
      `served a manifest with digest ${digest}`,
    );
  const json = JSON.parse(new TextDecoder().decode(bytes)) as ManifestJson;
  const mediaType = json.mediaType ?? res.headers.get('content-type') ?? '';
  return { digest, mediaType, json };
}

/** A blob's bytes, checked against its digest; undefined on 404. */
async function getBlob(
  session: RegistrySession,
  repository: string,
  digest: string,
): Promise<Uint8Array | undefined> {
  const path = `blobs/${digest}`;
  const res = await session.expect([200, 404], 'GET', repository, path);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status === 404) return undefined;
  if (sha256(bytes) !== digest)
    throw new RegistryHttpError(
      'GET',
      `${repository}/${path}`,
      200,
      `served bytes with digest ${sha256(bytes)}`,
    );
  return bytes;
}
