import type { IssueReason, TokenAction } from './decision.ts';

/** Issues a tenant can cause at will (an annotation, a Secret deleted or edited, a spec edit). */
const ON_REQUEST: ReadonlySet<IssueReason> = new Set([
  'RotationRequested',
  'SecretDeleted',
  'SecretModified',
  'ScopesChanged',
]);

/** What makes an action "the same request" again, so a retried reconcile does not pay twice. */
export interface RequestFacts {
  /** The value of berth.dev/rotate-requested-at. */
  rotationRequest: string | undefined;
  /** The resourceVersion of the Secret as read (undefined: deleted). */
  secretVersion: string | undefined;
  /** The credential the token holds now. */
  credentialId: string | undefined;
  /** The hash of spec.scopes. */
  scopesHash: string;
  /** Whether spec.scopes changed since the credential was given its scopes. */
  scopesChanged: boolean;
}

/**
 * The request an action answers when a tenant can repeat it at will (and so it must be paid for
 * from the rotation budget), named so that the same request retried is recognised; undefined for
 * what berth does on its own schedule (first issue, renewal, drift at the provider, grant upkeep).
 */
export function requestOf(action: TokenAction, facts: RequestFacts): string | undefined {
  if (action.kind === 'updateScopes') return facts.scopesChanged ? `scopes:${facts.scopesHash}` : undefined;
  if (action.kind !== 'issue' || !ON_REQUEST.has(action.reason)) return undefined;
  switch (action.reason) {
    case 'RotationRequested':
      return `rotate:${facts.rotationRequest ?? ''}`;
    case 'ScopesChanged':
      return `scopes:${facts.scopesHash}`;
    default:
      return `secret:${facts.credentialId ?? ''}:${facts.secretVersion ?? 'deleted'}`;
  }
}
