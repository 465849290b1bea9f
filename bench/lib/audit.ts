import { readFile } from 'node:fs/promises';

/** One API request as the audit log records it (Metadata level). */
interface AuditEvent {
  verb: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string };
  stageTimestamp?: string;
  responseStatus?: { code?: number };
}

/** Requests of one user in a time window, counted by `verb resource[/subresource]`. */
export interface RequestCounts {
  total: number;
  writes: number;
  byVerb: Record<string, number>;
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Counts what `username` asked the API server between `from` and `to` (epoch ms). */
export async function countRequests(
  auditLog: string,
  username: string,
  from: number,
  to: number,
): Promise<RequestCounts> {
  const text = await readFile(auditLog, 'utf8');
  const counts: RequestCounts = { total: 0, writes: 0, byVerb: {} };
  for (const line of text.split('\n')) {
    if (!line.includes(username)) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.user?.username !== username) continue;
    const at = Date.parse(e.stageTimestamp ?? '');
    if (at < from || at > to) continue;
    const resource = e.objectRef?.subresource
      ? `${e.objectRef.resource}/${e.objectRef.subresource}`
      : (e.objectRef?.resource ?? '?');
    const key = `${e.verb} ${resource}`;
    counts.byVerb[key] = (counts.byVerb[key] ?? 0) + 1;
    counts.total++;
    if (WRITES.has(e.verb)) counts.writes++;
  }
  return counts;
}
