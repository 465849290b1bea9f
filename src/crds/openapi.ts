import { z } from 'zod';

/** A JSON Schema node as plain data. */
export type JsonSchema = { [key: string]: unknown };

/**
 * Formats the API server validates itself. zod adds its own regex beside some of them, often with
 * lookaheads that RE2 rejects, so for these the format alone is kept.
 */
const SERVER_FORMATS = new Set(['date-time', 'email', 'uri', 'uuid', 'hostname', 'ipv4', 'ipv6']);

/** Keywords a structural schema may not use at all in berth's CRDs (no unions, no null). */
const FORBIDDEN = ['$ref', '$defs', 'definitions', 'anyOf', 'oneOf', 'allOf', 'not', 'nullable', 'const'];

/** Key order of every emitted node, so generated YAML is stable and reads top-down. */
const KEY_ORDER = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
];

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function ordered(node: JsonSchema): JsonSchema {
  const keys = Object.keys(node);
  const known = KEY_ORDER.filter((k) => k in node);
  const rest = keys.filter((k) => !KEY_ORDER.includes(k)).sort();
  return Object.fromEntries([...known, ...rest].map((k) => [k, node[k]]));
}

/** Rewrites one node (and its children) into a Kubernetes structural schema node. */
function structural(node: JsonSchema, path: string, missing: string[]): JsonSchema {
  const out: JsonSchema = { ...node };
  delete out.$schema;
  for (const key of FORBIDDEN) {
    if (key in out) throw new Error(`${path || '<root>'}: "${key}" has no place in a structural schema`);
  }
  if (typeof out.format === 'string' && SERVER_FORMATS.has(out.format)) delete out.pattern;
  // zod bounds integers to the JavaScript safe range; Kubernetes integers are int64 anyway.
  if (out.type === 'integer') {
    if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
    if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  }
  if (isObject(out.properties)) {
    const properties: JsonSchema = {};
    for (const [name, child] of Object.entries(out.properties)) {
      if (!isObject(child)) throw new Error(`${path}.${name}: not a schema`);
      if (typeof child.description !== 'string' || child.description === '') missing.push(`${path}.${name}`);
      properties[name] = structural(child, `${path}.${name}`, missing);
    }
    out.properties = properties;
    // Structural schemas forbid additionalProperties beside properties; unknown fields are pruned.
    delete out.additionalProperties;
    if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  } else if (isObject(out.additionalProperties)) {
    if (Object.keys(out.additionalProperties).length === 0) {
      delete out.additionalProperties;
      out['x-kubernetes-preserve-unknown-fields'] = true;
    } else {
      out.additionalProperties = structural(out.additionalProperties, `${path}[*]`, missing);
    }
  } else if (out.additionalProperties === false) {
    delete out.additionalProperties;
  }
  if (isObject(out.items)) out.items = structural(out.items, `${path}[*]`, missing);
  return ordered(out);
}

/**
 * Converts a zod schema to a Kubernetes structural OpenAPI v3 schema: the input side (so fields
 * with defaults are optional), everything inlined, and `x-kubernetes-*` extensions carried from
 * `.meta()`. Throws when the schema uses something a CRD cannot express, and when a property has
 * no description (every field must explain itself in `kubectl explain`).
 */
export function toStructuralSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
    cycles: 'throw',
    reused: 'inline',
  }) as JsonSchema;
  const missing: string[] = [];
  const result = structural(json, '', missing);
  if (missing.length > 0) throw new Error(`fields without a description: ${missing.join(', ')}`);
  return result;
}
