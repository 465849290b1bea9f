/**
 * A raw HTTP caller for the simulator's own tests: status, headers and parsed body, with the
 * simulator's credentials unless told otherwise. The adapter is deliberately not involved.
 */
import { request } from 'undici';
import type { IonosSimulator } from './simulator.ts';

/** A raw answer. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

/** Sends one request to the simulator (`auth: null` sends none; a string is the whole header). */
export async function rawCall(
  sim: IonosSimulator,
  method: string,
  path: string,
  options: { body?: unknown; auth?: string | null } = {},
): Promise<RawAnswer> {
  const authorization = options.auth === undefined ? `Bearer ${sim.apiToken}` : options.auth;
  const res = await request(sim.url + path, {
    method: method as 'GET',
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const text = method === 'HEAD' ? '' : await res.body.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.statusCode, headers: res.headers, body, text };
}
