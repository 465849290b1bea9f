import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUN_REQUESTED_ANNOTATION } from '../controllers/cleanup-policy/reconcile.ts';
import { ROTATE_REQUESTED_ANNOTATION, SecretAnnotation } from '../controllers/registry-token/reasons.ts';
import { RECONCILE_REQUESTED_ANNOTATION } from '../controllers/runtime/controller.ts';
import { allCrds, GROUP as CRD_GROUP, VERSION as CRD_VERSION } from '../crds/index.ts';
import { Annotation, requestValue, SECRET_CREDENTIAL_ID, SECRET_ROTATION_REQUEST } from './annotations.ts';
import { GROUP, KINDS, parseKind, parseObjectRef, VERSION } from './kinds.ts';
import { CLI_VERSION } from './program.ts';

// The CLI writes its own copies of these so that it starts without loading the controllers.
describe('what the CLI keeps in step with the operator', () => {
  it('names the kinds as the CRDs do', () => {
    expect(GROUP).toBe(CRD_GROUP);
    expect(VERSION).toBe(CRD_VERSION);
    expect(KINDS.map((k) => ({ ...k, shortNames: [...k.shortNames] }))).toEqual(
      allCrds.map(({ kind, plural, singular, shortNames }) => ({ kind, plural, singular, shortNames })),
    );
  });

  it('uses the annotations the controllers answer', () => {
    expect(Annotation.RotateRequested).toBe(ROTATE_REQUESTED_ANNOTATION);
    expect(Annotation.RunRequested).toBe(RUN_REQUESTED_ANNOTATION);
    expect(Annotation.ReconcileRequested).toBe(RECONCILE_REQUESTED_ANNOTATION);
    expect(SECRET_ROTATION_REQUEST).toBe(SecretAnnotation.RotationRequest);
    expect(SECRET_CREDENTIAL_ID).toBe(SecretAnnotation.CredentialId);
  });

  it('prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(CLI_VERSION).toBe(pkg.version);
  });
});

describe('kinds as people type them', () => {
  it.each(['rtok', 'RegistryToken', 'registrytoken', 'registrytokens', 'RegistryToken.berth.dev', 'RTOK'])(
    '%s is RegistryToken',
    (text) => {
      expect(parseKind(text)?.kind).toBe('RegistryToken');
    },
  );

  it('splits KIND/NAME and refuses unknown kinds with a usage error', () => {
    expect(parseObjectRef('cpol/retention')).toMatchObject({
      kind: { kind: 'CleanupPolicy' },
      name: 'retention',
    });
    expect(parseObjectRef('shop')).toEqual({ name: 'shop' });
    expect(() => parseObjectRef('pod/shop')).toThrow(/not a berth kind/);
    expect(() => parseObjectRef('creg/')).toThrow(/not KIND\/NAME/);
  });
});

describe('requestValue', () => {
  it('is the time in RFC 3339, moved on a millisecond if it would repeat an earlier request', () => {
    const now = Date.parse('2026-06-01T12:00:00.123Z');
    expect(requestValue(now)).toBe('2026-06-01T12:00:00.123Z');
    expect(requestValue(now, ['2026-06-01T12:00:00.123Z', undefined])).toBe('2026-06-01T12:00:00.124Z');
  });
});
