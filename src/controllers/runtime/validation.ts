import type { z } from 'zod';

/** Formats a zod issue path the way kubectl does: `spec.scopes[0].actions`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

/**
 * One line per problem, each naming its field, for the `InvalidSpec` condition. Values are not
 * echoed, only paths and rules, so a secret typed into the wrong field cannot leak into status.
 */
export function describeInvalid(error: z.ZodError, maxIssues = 5): string {
  const lines = error.issues
    .slice(0, maxIssues)
    .map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  const more = error.issues.length - maxIssues;
  return more > 0 ? `${lines.join('; ')}; and ${more} more` : lines.join('; ');
}
