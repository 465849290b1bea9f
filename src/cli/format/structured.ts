import { stringify } from 'yaml';

/** Output formats for scripts. */
export const STRUCTURED_FORMATS = ['json', 'yaml'] as const;
/** One of {@link STRUCTURED_FORMATS}. */
export type StructuredFormat = (typeof STRUCTURED_FORMATS)[number];

/** `data` as indented JSON or as YAML, ending in a newline. */
export function renderStructured(data: unknown, format: StructuredFormat): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data, { lineWidth: 0 });
}
