import { usageError } from './errors.ts';

/** The API group of every berth kind. */
export const GROUP = 'berth.dev';
/** The one served version of every berth kind. */
export const VERSION = 'v1alpha1';

/** One berth kind as the CLI addresses it (kept equal to src/crds by a unit test). */
export interface BerthKind {
  kind: 'ContainerRegistry' | 'RegistryToken' | 'CleanupPolicy';
  plural: string;
  singular: string;
  shortNames: readonly string[];
}

/**
 * The three kinds, in the order they depend on each other (a token and a policy use a registry),
 * which is also the order of `berth status` within each health group. Written out rather than
 * imported from src/crds so the CLI starts without loading zod and every schema.
 */
export const KINDS: readonly BerthKind[] = [
  {
    kind: 'ContainerRegistry',
    plural: 'containerregistries',
    singular: 'containerregistry',
    shortNames: ['creg'],
  },
  { kind: 'RegistryToken', plural: 'registrytokens', singular: 'registrytoken', shortNames: ['rtok'] },
  { kind: 'CleanupPolicy', plural: 'cleanuppolicies', singular: 'cleanuppolicy', shortNames: ['cpol'] },
];

/** The kind of a berth object by its Kind. */
export function kindOf(kind: BerthKind['kind']): BerthKind {
  return KINDS.find((k) => k.kind === kind) as BerthKind;
}

/** What CustomObjectsApi needs to address a kind. */
export function resourceOf(kind: BerthKind): { group: string; version: string; plural: string } {
  return { group: GROUP, version: VERSION, plural: kind.plural };
}

/**
 * A kind as people type it, the way kubectl resolves it: Kind, singular, plural or short name, any
 * case, optionally qualified with `.berth.dev` (`rtok`, `registrytokens`, `RegistryToken.berth.dev`).
 */
export function parseKind(text: string): BerthKind | undefined {
  const t = text.toLowerCase().replace(/\.berth\.dev$/, '');
  return KINDS.find(
    (k) => k.kind.toLowerCase() === t || k.singular === t || k.plural === t || k.shortNames.includes(t),
  );
}

/** `KIND/NAME` split into a kind and a name, or just a name. Throws a usage error for an unknown kind. */
export function parseObjectRef(text: string): { kind?: BerthKind; name: string } {
  const slash = text.indexOf('/');
  if (slash === -1) return { name: text };
  const kind = parseKind(text.slice(0, slash));
  const name = text.slice(slash + 1);
  if (!kind) {
    throw usageError(
      `"${text.slice(0, slash)}" is not a berth kind: use containerregistry (creg), registrytoken (rtok) or cleanuppolicy (cpol)`,
    );
  }
  if (name === '' || name.includes('/')) throw usageError(`"${text}" is not KIND/NAME`);
  return { kind, name };
}
