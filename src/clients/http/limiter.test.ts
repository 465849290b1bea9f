import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, PROVIDER_LIMITS } from './limiter.ts';

describe('issue #12 item 9: each client defaults to its provider’s published rate limit', () => {
  it('quay: quay.io’s /api/ limit, 5 r/s with burst 25', () => {
    // quay.md §9: "`/api/`: 5 r/s with burst 25 per IP (HTTP/1) ... Rejects are 429 with **no Retry-After**".
    expect(PROVIDER_LIMITS.quay).toMatchObject({ qps: 5, burst: 25 });
  });

  it('ionos and selectel publish none: the general default, relying on 429', () => {
    // ionos.md: "No `X-RateLimit-*` headers are documented for CR. The 1.1+ endpoints document `429`".
    expect(PROVIDER_LIMITS.ionos).toEqual(DEFAULT_LIMITS);
    // selectel.md §3: "Rate limits: **none documented** in any source found."
    expect(PROVIDER_LIMITS.selectel).toEqual(DEFAULT_LIMITS);
  });
});
