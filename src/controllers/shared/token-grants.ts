import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { durationMs } from '../../crds/duration.ts';
import type { RegistryTokenSpec } from '../../crds/registry-token.ts';
import {
  type ApplicableGrant,
  credentialsExpire,
  describeGrants,
  effectiveActions,
  expandPattern,
  GrantReason,
  grantsFor,
  maxLifetimeMs,
  type Refusal,
  scopeWithin,
} from './grants.ts';

/** The parts of a RegistryToken spec the grants judge. */
export type GrantedTokenSpec = Pick<
  RegistryTokenSpec,
  'scopes' | 'lifetime' | 'rotateEvery' | 'deletionPolicy'
>;

/**
 * Whether `registry` lets a RegistryToken in `namespace` ask for `spec`; the refusal names the
 * token's field and the grants that apply. Each scope needs one grant that covers its repository
 * pattern and its actions (as the provider really gives them), allows the credential's lifetime
 * and, for deletionPolicy: Retain, allows Retain.
 */
export function checkTokenGrants(
  registry: Pick<ContainerRegistry, 'metadata' | 'spec'>,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  spec: GrantedTokenSpec,
): Refusal | undefined {
  const granted = grantsFor(registry, namespace, labels);
  if (granted.kind === 'unrestricted') return undefined;
  if (granted.kind === 'refused') return granted.refusal;
  const provider = registry.spec.provider;
  const { grants } = granted;
  const ref = granted.registry;
  const life = lifetimeOf(spec, provider);
  for (const [i, scope] of spec.scopes.entries()) {
    const actions = effectiveActions(provider, scope.actions);
    const covering = grants.filter(
      ({ grant }) =>
        grant.repositories.some((p) => scopeWithin(scope.repository, expandPattern(p, namespace))) &&
        actions.every((a) => grant.actions.includes(a)),
    );
    if (covering.length === 0) {
      const coupled =
        actions.length > scope.actions.length
          ? ` (${provider} cannot separate push from delete, so a scope with either needs both granted)`
          : '';
      return {
        reason: GrantReason.ScopeNotGranted,
        message:
          `spec.scopes[${i}] asks for ${actions.join(', ')} on ${scope.repository}${coupled}, which ${ref} ` +
          `does not grant to namespace ${namespace}; it grants: ${describeGrants(grants, namespace)}`,
      };
    }
    const lasting = covering.filter(({ grant }) => life.ms !== undefined && life.ms <= maxLifetimeMs(grant));
    if (lasting.length === 0) return lifetimeRefusal(spec, provider, covering, ref, namespace, i);
    if (spec.deletionPolicy === 'Retain' && !lasting.some(({ grant }) => grant.allowRetain)) {
      return {
        reason: GrantReason.RetainNotGranted,
        message:
          `spec.deletionPolicy Retain would leave the credential live after the token is deleted, which ${ref} ` +
          `does not allow namespace ${namespace} for spec.scopes[${i}] (${lasting.map((g) => g.source).join(', ')}: ` +
          'allowRetain is false); use Revoke',
      };
    }
  }
  return undefined;
}

/** How long a credential of this spec lives: its lifetime, or where nothing expires, its rotation. */
function lifetimeOf(spec: GrantedTokenSpec, provider: string): { ms: number | undefined; field: string } {
  if (credentialsExpire(provider)) return { ms: durationMs(spec.lifetime), field: 'spec.lifetime' };
  return {
    ms: spec.rotateEvery === undefined ? undefined : durationMs(spec.rotateEvery),
    field: 'spec.rotateEvery',
  };
}

function lifetimeRefusal(
  spec: GrantedTokenSpec,
  provider: string,
  covering: readonly ApplicableGrant[],
  ref: string,
  namespace: string,
  index: number,
): Refusal {
  const longest = covering.reduce((a, b) => (maxLifetimeMs(b.grant) > maxLifetimeMs(a.grant) ? b : a));
  const limit = `${longest.grant.maxLifetime} (${longest.source}.maxLifetime)`;
  const message = credentialsExpire(provider)
    ? `spec.lifetime ${spec.lifetime} is longer than ${ref} allows namespace ${namespace} for ` +
      `spec.scopes[${index}]: at most ${limit}`
    : spec.rotateEvery === undefined
      ? `${provider} credentials never expire, so spec.rotateEvery must be set: ${ref} allows namespace ` +
        `${namespace} credentials of at most ${limit}`
      : `spec.rotateEvery ${spec.rotateEvery} is longer than ${ref} allows namespace ${namespace} for ` +
        `spec.scopes[${index}]: at most ${limit}`;
  return { reason: GrantReason.LifetimeNotGranted, message };
}
