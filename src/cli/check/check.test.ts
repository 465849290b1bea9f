import { describe, expect, it } from 'vitest';
import { painter } from '../format/color.ts';
import { canonicalJson } from './crds.ts';
import { readMetrics } from './metrics.ts';
import { flagValue, type OperatorTarget } from './operator.ts';
import { describePermission, requiredPermissions } from './rbac.ts';
import { failed, ok, renderCheckLine, skipped } from './report.ts';

describe('berth check, piece by piece', () => {
  it('compares CRD shapes independent of key order', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x', u: undefined })).toBe(
      '{"a":"x","b":[1,{"c":2,"d":1}]}',
    );
  });

  it('reads the operator flags as the chart writes them, and as people type them', () => {
    const args = ['--namespaces=a,b', '--leader-election-id', 'berth', '--leader-elect=true'];
    expect(flagValue(args, '--namespaces')).toBe('a,b');
    expect(flagValue(args, '--leader-election-id')).toBe('berth');
    expect(flagValue(args, '--identity')).toBeUndefined();
  });

  it('needs cluster-wide rights without --namespaces, per namespace with it, and the Lease by name', () => {
    const clusterWide: OperatorTarget = {
      namespace: 'berth-system',
      leaseNames: ['berth'],
      leaderElect: true,
    };
    const all = requiredPermissions(clusterWide, 'berth').map(describePermission);
    expect(all).toContain('patch registrytokens/status cluster-wide');
    expect(all).toContain('list secrets cluster-wide');
    expect(all).toContain('create events.events.k8s.io cluster-wide');
    expect(all).toContain('watch namespaces cluster-wide');
    expect(all).toContain('update leases.coordination.k8s.io berth in berth-system');
    expect(all).toContain('create leases.coordination.k8s.io in berth-system');

    const scoped = requiredPermissions(
      { ...clusterWide, watchNamespaces: ['shop'], distributionNamespaces: ['web'], leaderElect: false },
      undefined,
    ).map(describePermission);
    expect(scoped).toContain('patch cleanuppolicies/status in shop');
    expect(scoped).toContain('update secrets in web');
    expect(scoped).toContain('list namespaces cluster-wide');
    expect(scoped.some((p) => p.includes('leases'))).toBe(false);
    expect(scoped.some((p) => p.includes('secrets cluster-wide'))).toBe(false);
  });

  it('reads berth series and the leader gauge from /metrics', () => {
    const text = [
      '# HELP berth_leader_election_master_status 1 while this replica holds the Lease',
      'berth_leader_election_master_status{name="berth"} 1',
      'berth_controller_objects{controller="registry-token",state="ready"} 3',
      'process_cpu_seconds_total 1',
    ].join('\n');
    expect(readMetrics(text)).toEqual({ series: 2, leading: true });
    expect(readMetrics('berth_leader_election_master_status{name="berth"} 0\n')).toEqual({
      series: 1,
      leading: false,
    });
    expect(readMetrics('up 1\n')).toEqual({ series: 0, leading: undefined });
  });

  it('prints one greppable line per check', () => {
    const paint = painter(false);
    expect(renderCheckLine(ok('fine'), paint)).toBe('ok    fine\n');
    expect(renderCheckLine(failed('broken: fix it'), paint)).toBe('FAIL  broken: fix it\n');
    expect(renderCheckLine(skipped('not allowed'), paint)).toBe('skip  not allowed\n');
  });
});

describe('CRD currency', () => {
  it('matches a CRD applied from this berth, whatever the API server adds, and not one with another column', async () => {
    const { loadYaml } = await import('@kubernetes/client-node');
    const { allCrds, buildCrd } = await import('../../crds/index.ts');
    const { shapeHash } = await import('./crds.ts');
    const wire = buildCrd(allCrds[1] as (typeof allCrds)[number]);
    const generated = loadYaml<Parameters<typeof shapeHash>[0]>(JSON.stringify(wire));
    // What the API server serves back: defaulted conversion, status, metadata of its own.
    const served = loadYaml<Parameters<typeof shapeHash>[0]>(
      JSON.stringify({
        ...wire,
        metadata: { ...wire.metadata, uid: 'u', resourceVersion: '9', generation: 2 },
        spec: { ...wire.spec, conversion: { strategy: 'None' } },
        status: { conditions: [{ type: 'Established', status: 'True' }] },
      }),
    );
    expect(shapeHash(served)).toBe(shapeHash(generated));
    const older = structuredClone(wire);
    const column = older.spec.versions[0]?.additionalPrinterColumns[1];
    if (column) column.type = 'date';
    expect(shapeHash(loadYaml(JSON.stringify(older)))).not.toBe(shapeHash(generated));
  });
});
