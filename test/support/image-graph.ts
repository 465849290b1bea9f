// The image graph of issue 22 pushed to a real registry: what a CleanupPolicy must not break (a
// multi-arch index with untagged children, a signed image with an OCI 1.1 referrer) next to what it
// may delete (older tags, untagged manifests). Pushed with the small client in registry-http.ts,
// not berth's, so an end-to-end test never trusts the code it tests to set up its own evidence.
import {
  type Built,
  cosignAttestation,
  cosignSignature,
  cosignTag,
  type Descriptor,
  image,
  index,
  parsePlatform,
  referrer,
  referrersIndex,
} from './oci-content.ts';
import { type RegistryLogin, RegistrySession } from './registry-http.ts';

/** What to push; every field has a default that gives the graph issue 22 describes. */
export interface ImageGraphOptions {
  /** Tag of the multi-arch index (default `multi`). */
  multiTag?: string;
  /** The index's platforms, `os/architecture` (default linux/amd64 and linux/arm64). */
  platforms?: string[];
  /** Tag of the signed single-arch image (default `app-v3`). */
  appTag?: string;
  /** Older single-arch images, one per tag, pushed first and oldest first (default `v1`, `v2`). */
  olderTags?: string[];
  /** How many untagged single-arch manifests to push after the older tags (default 2). */
  untagged?: number;
  /** `artifactType` of the OCI 1.1 referrer of the app image (default an SPDX SBOM). */
  referrerType?: string;
  /** Also sign the index (`sha256-<index hex>.sig`), as `cosign sign` of a multi-arch tag does (default true). */
  signIndex?: boolean;
  /**
   * Also tag an OCI 1.1 referrers index `sha256-<app hex>` (the fallback tag schema a client keeps
   * for a registry without the referrers API): `auto` (default) when the registry does not serve
   * `GET /v2/<name>/referrers/<digest>`, as CNCF distribution 3.1 does not.
   */
  referrersTag?: 'auto' | boolean;
  /** Also push a cosign attestation (`sha256-<app hex>.att`) for the app image (default true). */
  attest?: boolean;
}

/** A tag and the manifest it names. */
export interface TaggedDigest {
  tag: string;
  digest: string;
}

/** Every digest and tag the graph pushed, named by its role. */
export interface ImageGraph {
  host: string;
  repository: string;
  multi: {
    tag: string;
    /** The index's digest (the tag names it). */
    digest: string;
    /** Platform (`linux/arm64`) → its manifest's digest; untagged, referenced only by the index. */
    platforms: Record<string, string>;
    /** The index's cosign signature, when `signIndex`. */
    signature?: TaggedDigest;
  };
  app: {
    tag: string;
    digest: string;
    /** `sha256-<hex>.sig` → the cosign signature manifest. */
    signature: TaggedDigest;
    /** `sha256-<hex>.att` → the cosign attestation manifest, when `attest`. */
    attestation?: TaggedDigest;
    /** The untagged OCI 1.1 referrer whose `subject` is the app image, pushed by digest. */
    referrer: { digest: string; artifactType: string };
    /** `sha256-<hex>` → the referrers index listing the referrer, when the fallback schema was used. */
    referrersTag?: TaggedDigest;
  };
  /** The older tagged images, oldest first. */
  older: TaggedDigest[];
  /** Untagged single-arch manifests that nothing references. */
  untagged: string[];
  /** Every tag the graph pushed → the digest it names. */
  tags: Record<string, string>;
  /** Every manifest digest in the order it was pushed (oldest first). */
  pushOrder: string[];
}

const SPDX = 'application/spdx+json';

/**
 * Pushes the graph to `repository` at `host` (plain HTTP), logged in with `login` (htpasswd or a
 * credential the registry's token service accepts; none for an open registry). Manifests go up one
 * at a time in the order of {@link ImageGraph.pushOrder}, so anything that orders by push time sees
 * the older tags as older; every manifest carries random content, so no digest is shared with
 * another graph.
 */
export async function pushImageGraph(
  host: string,
  login: RegistryLogin | undefined,
  repository = 'shop/graph',
  options: ImageGraphOptions = {},
): Promise<ImageGraph> {
  const session = new RegistrySession(host, login);
  const pushOrder: string[] = [];
  const tags: Record<string, string> = {};
  const push = async (built: Built, tag?: string): Promise<Descriptor> => {
    await Promise.all(built.blobs.map((b) => session.putBlob(repository, b.bytes)));
    const { descriptor, bytes } = built.manifest;
    await session.putManifest(repository, tag ?? descriptor.digest, bytes, descriptor.mediaType);
    pushOrder.push(descriptor.digest);
    if (tag) tags[tag] = descriptor.digest;
    return descriptor;
  };
  const pushSignature = async (signed: Descriptor): Promise<TaggedDigest> => {
    const tag = cosignTag(signed.digest, 'sig');
    const { digest } = await push(cosignSignature(`${host}/${repository}`, signed), tag);
    return { tag, digest };
  };

  const single = parsePlatform('linux/amd64');
  const older: TaggedDigest[] = [];
  for (const tag of options.olderTags ?? ['v1', 'v2'])
    older.push({ tag, digest: (await push(image(single, `${repository}:${tag}`), tag)).digest });
  const untagged: string[] = [];
  for (let i = 0; i < (options.untagged ?? 2); i++)
    untagged.push((await push(image(single, `${repository} untagged ${i}`))).digest);

  const appTag = options.appTag ?? 'app-v3';
  const app = await push(image(single, `${repository}:${appTag}`), appTag);
  const signature = await pushSignature(app);
  let attestation: TaggedDigest | undefined;
  if (options.attest ?? true) {
    const tag = cosignTag(app.digest, 'att');
    attestation = { tag, digest: (await push(cosignAttestation(app), tag)).digest };
  }
  const artifactType = options.referrerType ?? SPDX;
  const sbom = await push(referrer(app, artifactType));
  let referrersTag: TaggedDigest | undefined;
  const mode = options.referrersTag ?? 'auto';
  if (mode === true || (mode === 'auto' && !(await servesReferrers(session, repository, app.digest)))) {
    const tag = cosignTag(app.digest);
    referrersTag = { tag, digest: (await push(referrersIndex([sbom]), tag)).digest };
  }

  const multiTag = options.multiTag ?? 'multi';
  const children = (options.platforms ?? ['linux/amd64', 'linux/arm64']).map((name) => {
    const platform = parsePlatform(name);
    return { name, platform, built: image(platform, `${repository}:${multiTag} ${name}`) };
  });
  const platforms: Record<string, string> = {};
  for (const child of children) platforms[child.name] = (await push(child.built)).digest;
  const multi = await push(
    index(children.map((c) => ({ manifest: c.built.manifest, platform: c.platform }))),
    multiTag,
  );
  const multiSignature = (options.signIndex ?? true) ? await pushSignature(multi) : undefined;

  return {
    host,
    repository,
    multi: {
      tag: multiTag,
      digest: multi.digest,
      platforms,
      ...(multiSignature ? { signature: multiSignature } : {}),
    },
    app: {
      tag: appTag,
      digest: app.digest,
      signature,
      ...(attestation ? { attestation } : {}),
      referrer: { digest: sbom.digest, artifactType },
      ...(referrersTag ? { referrersTag } : {}),
    },
    older,
    untagged,
    tags,
    pushOrder,
  };
}

/** Whether the registry serves the OCI 1.1 referrers API (an image index) for `digest`. */
async function servesReferrers(
  session: RegistrySession,
  repository: string,
  digest: string,
): Promise<boolean> {
  const res = await session.expect([200, 404], 'GET', repository, `referrers/${digest}`);
  const type = res.headers.get('content-type') ?? '';
  await res.arrayBuffer();
  return res.status === 200 && type.includes('image.index');
}
