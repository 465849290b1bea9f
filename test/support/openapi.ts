import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { repoRoot } from '../../src/dev/binaries.ts';

/** The public API specs in ../shared/specs. */
export type SpecName = 'ionos' | 'quay';

const SPEC_FILES: Record<SpecName, string> = {
  ionos: 'ionos-containerregistry.openapi.yaml',
  quay: 'quay-api.swagger.json',
};

const specsDir = join(repoRoot, '..', 'shared', 'specs');
const documents = new Map<SpecName, Record<string, unknown>>();
const validators = new Map<string, ValidateFunction>();

// The whole document is registered as one schema, so responses are checked through JSON pointers
// into it and `$ref`s (circular ones included) resolve as Ajv does natively: no dereferencing.
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: true });
const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
addFormats(ajv);

function documentOf(spec: SpecName): Record<string, unknown> {
  let doc = documents.get(spec);
  if (!doc) {
    const text = readFileSync(join(specsDir, SPEC_FILES[spec]), 'utf8');
    doc = (SPEC_FILES[spec].endsWith('.json') ? JSON.parse(text) : parse(text)) as Record<string, unknown>;
    documents.set(spec, doc);
    ajv.addSchema(doc, spec);
  }
  return doc;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

type Operation = {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }>; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
};

function operationOf(spec: SpecName, method: string, pathTemplate: string): Operation {
  const doc = documentOf(spec);
  const paths = doc.paths as Record<string, Record<string, Operation>>;
  const operation = paths[pathTemplate]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${spec} spec has no ${method} ${pathTemplate}`);
  return operation;
}

/** The JSON media type a content map uses (`application/json`, or Quay's `*\/*`). */
function jsonMediaType(content: Record<string, { schema?: unknown }> | undefined): string | undefined {
  if (!content) return undefined;
  return ['application/json', '*/*'].find((type) => content[type]?.schema !== undefined);
}

function check(spec: SpecName, pointerPath: string, body: unknown): string[] {
  const key = `${spec}#/${pointerPath}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ $ref: key });
    validators.set(key, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'invalid'}`);
}

/**
 * Validates a response body against the spec's schema for (method, path template, status), falling
 * back to the `default` response for error statuses. Returns the violations (empty when valid). Throws when the spec
 * does not describe that response body, so a test cannot pass by checking nothing. (Quay's spec
 * describes only error bodies: check its success bodies against the seed's examples instead.)
 */
export function validateAgainstSpec(
  spec: SpecName,
  method: string,
  pathTemplate: string,
  status: number,
  body: unknown,
): string[] {
  documentOf(spec);
  const operation = operationOf(spec, method, pathTemplate);
  const responses = operation.responses ?? {};
  // `default` describes errors in both specs: a success status must be documented itself.
  const code = responses[String(status)] || status < 400 ? String(status) : 'default';
  const response = responses[code];
  if (!response) throw new Error(`${spec} spec has no ${status} response for ${method} ${pathTemplate}`);
  const media = jsonMediaType(response.content);
  if (!media) throw new Error(`${spec} spec has no body schema for ${status} ${method} ${pathTemplate}`);
  return check(
    spec,
    pointer('paths', pathTemplate, method.toLowerCase(), 'responses', code, 'content', media, 'schema'),
    body,
  );
}

/** Validates a request body the adapter sends against the spec's requestBody schema. */
export function validateRequestAgainstSpec(
  spec: SpecName,
  method: string,
  pathTemplate: string,
  body: unknown,
): string[] {
  documentOf(spec);
  const media = jsonMediaType(operationOf(spec, method, pathTemplate).requestBody?.content);
  if (!media) throw new Error(`${spec} spec has no request body schema for ${method} ${pathTemplate}`);
  return check(
    spec,
    pointer('paths', pathTemplate, method.toLowerCase(), 'requestBody', 'content', media, 'schema'),
    body,
  );
}
