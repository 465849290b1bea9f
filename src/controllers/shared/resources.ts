import { containerRegistryCrd, GROUP, VERSION } from '../../crds/index.ts';
import type { ResourceType } from '../runtime/resource.ts';

/** The ContainerRegistry resource. */
export const CONTAINER_REGISTRY: ResourceType = {
  group: GROUP,
  version: VERSION,
  kind: containerRegistryCrd.kind,
  plural: containerRegistryCrd.plural,
};
