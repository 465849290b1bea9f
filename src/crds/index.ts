import { cleanupPolicyCrd } from './cleanup-policy.ts';
import { containerRegistryCrd } from './container-registry.ts';
import type { CrdDescriptor } from './crd.ts';
import { registryTokenCrd } from './registry-token.ts';

export * from './cleanup-policy.ts';
export * from './container-registry.ts';
export { buildCrd, CATEGORY, type CrdDescriptor, type CrdManifest, crdName } from './crd.ts';
export { DURATION_PATTERN, durationMs } from './duration.ts';
export { API_VERSION, GROUP, type ObjectMeta, ObjectMetaSchema, VERSION } from './object.ts';
export * from './registry-token.ts';
export { type Condition, ConditionSchema } from './status.ts';

/** Every berth kind, in the order the generator writes them. */
export const allCrds: readonly CrdDescriptor[] = [containerRegistryCrd, registryTokenCrd, cleanupPolicyCrd];
