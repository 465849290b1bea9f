// A chaos run as a report for bench/RESULTS.md: the verdict first, then the figures.
import type { AuditResult } from './chaos-audit.ts';
import { describeFaults } from './chaos-faults.ts';
import { KINDS } from './chaos-requests.ts';
import type { ChaosResult, PhaseResult } from './chaos-run.ts';
import type { Report } from './results.ts';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `n` and, when there are any, the first few names. */
function listed(names: readonly string[], max = 5): string {
  if (names.length === 0) return '0';
  const more = names.length > max ? ', ...' : '';
  return `${names.length} (${names.slice(0, max).join(', ')}${more})`;
}

function phaseCell(p: PhaseResult): string {
  const restart =
    p.apiserverRestartAt === undefined ? '' : `, kube-apiserver restarted at ${p.apiserverRestartAt}`;
  const cap = p.completed ? '' : ', cap reached';
  return `${s(p.ms)} (${p.done}/${p.total}${cap}; ${p.kills} SIGKILLs${restart})`;
}

function orphanCell(a: AuditResult): string {
  if (a.orphans.length === 0) return '0';
  const tokens = new Set(a.orphans.map((o) => o.token ?? '?'));
  const names = a.orphans.slice(0, 3).map((o) => `${o.name}${o.token ? ` of ${o.token}` : ''}`);
  return `${a.orphans.length} of ${tokens.size} tokens (${names.join(', ')}${a.orphans.length > 3 ? ', ...' : ''})`;
}

/** The report of a run; `label` (e.g. "before the fix") goes into the title. */
export function chaosReport(r: ChaosResult, label = ''): Report {
  const { options: o, audit: a } = r;
  const verdict = r.failures.length === 0 ? 'PASS' : `FAIL: ${r.failures.join(', ')}`;
  const [issue, rotate, settle] = r.phases as [PhaseResult, PhaseResult, PhaseResult];
  const requestRows = KINDS.filter((k) => r.phases.some((p) => p.requests.byKind[k].requests > 0)).map(
    (k) => {
      const counts = r.phases.map((p) => p.requests.byKind[k]);
      const faulted = counts.reduce((n, c) => n + c.faulted, 0);
      return [
        `provider requests: ${k} (issue / rotate / settle)`,
        `${counts.map((c) => c.requests).join(' / ')}; ${faulted} met a fault`,
      ];
    },
  );
  const faults: Record<string, number> = {};
  for (const p of r.phases)
    for (const [kind, n] of Object.entries(p.requests.byFault)) faults[kind] = (faults[kind] ?? 0) + n;
  const routes: Record<string, number> = {};
  for (const p of r.phases)
    for (const [route, n] of Object.entries(p.requests.byRoute)) routes[route] = (routes[route] ?? 0) + n;
  const kills = o.killEveryMs > 0 ? `every ${o.killEveryMs / 1000} s` : 'never';
  return {
    title: `chaos: ${o.tokens} tokens at ${o.provider}, seed ${o.seed}${label ? ` (${label})` : ''}: ${r.failures.length === 0 ? 'PASS' : 'FAIL'}`,
    columns: ['figure', 'value'],
    rows: [
      ['verdict', verdict],
      ['provider faults (issue and rotate)', describeFaults(o.faults)],
      [
        'operator SIGKILLed',
        `${r.kills} times (${kills}); ${r.crashes} crashes, ${r.failedStarts} failed starts`,
      ],
      [
        'kube-apiserver restarts',
        o.apiserverDowntimeMs === undefined
          ? 'none (shared control plane)'
          : `${r.apiserverRestarts} (down ${s(o.apiserverDowntimeMs)} each)`,
      ],
      ['issue (all Ready)', phaseCell(issue)],
      ['rotate (all rotated)', phaseCell(rotate)],
      ['settle, faults off (all rotated, nothing pending, one census acted on)', phaseCell(settle)],
      ['total', s(r.totalMs)],
      ['tokens not Ready / not rotated', `${listed(a.notReady)} / ${listed(a.notRotated)}`],
      ['live berth credentials at the provider', `${a.live} (expected ${a.expected})`],
      ['orphans', orphanCell(a)],
      ['dead Secrets', listed(a.deadSecrets)],
      ['Secrets that cannot pull / without a login', `${listed(a.noPull)} / ${listed(a.secretsMissing)}`],
      ['mismatches (Secret vs status)', listed(a.mismatches)],
      ['replaced credentials still live', listed(a.replacedLive)],
      [
        'duplicate names / credentials shared by tokens',
        `${listed(a.duplicateNames)} / ${listed(a.sharedIds)}`,
      ],
      ['pending revocations / issues left', `${a.pendingRevocations} / ${a.pendingIssues}`],
      ...requestRows,
    ],
    notes: [
      `faults injected: ${
        Object.entries(faults)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      }`,
      `provider requests by route: ${Object.entries(routes)
        .sort((x, y) => y[1] - x[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
      `operator: ${o.entry.endsWith('main.ts') ? 'node src/main.ts' : 'the image bundle'} ${r.operatorArgs
        .filter((f) => !f.startsWith('--namespaces=') && !f.startsWith('--provider-registry-host='))
        .join(' ')} (budgets of requested rotations off: every token is asked to rotate at once)`,
      `tokens: pull on one scope, gracePeriod ${o.gracePeriod}; caps ${s(o.phaseCapMs)} per faulty phase, ${s(o.settleCapMs)} settle`,
      ...a.mismatchDetails.slice(0, 10).map((d) => `mismatch ${d}`),
      ...(a.orphans.length > 0
        ? [
            `orphans (first 10): ${a.orphans
              .slice(0, 10)
              .map((x) => `${x.name} (${x.id})`)
              .join(', ')}`,
          ]
        : []),
    ],
  };
}
