import { NotFoundError } from '../../clients/http/errors.ts';
import type { OciClient } from '../../clients/oci/client.ts';
import type { ManifestFacts } from './graph.ts';

/**
 * Reads one manifest through the OCI API for the plan's graph: its media type, the digests an
 * index lists, the subject of an OCI 1.1 referrer. `gone` when the registry has no such manifest.
 */
export async function manifestFacts(
  client: Pick<OciClient, 'getManifest'>,
  repository: string,
  digest: string,
): Promise<ManifestFacts | 'gone'> {
  try {
    const { mediaType, manifest } = await client.getManifest(repository, digest);
    const children = manifest.kind === 'index' ? manifest.manifests.map((m) => m.digest) : [];
    return { mediaType, children, subject: manifest.subject?.digest };
  } catch (err) {
    if (err instanceof NotFoundError) return 'gone';
    throw err;
  }
}
