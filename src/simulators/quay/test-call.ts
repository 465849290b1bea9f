/** For the simulator's own tests only: one raw request, as a client would send it. */

/** An answer: status, body (parsed JSON when it parses, else the text; undefined when empty), headers. */
export interface SimAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** What a test sends: a bearer token (null for none), a JSON body. */
export interface SimCall {
  token?: string | null;
  body?: unknown;
}

/** Sends `method path` to the simulator's API at `base` with `token` unless the call names another. */
export async function callSim(
  base: string,
  token: string,
  method: string,
  path: string,
  options: SimCall = {},
): Promise<SimAnswer> {
  const bearer = options.token === undefined ? token : options.token;
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  let body: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') body = JSON.parse(text);
  } catch {
    // plain text (nginx 429) or an HTML error page (a Quay 500)
  }
  return { status: res.status, body, headers: res.headers };
}
