import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('has sane defaults', () => {
    const config = parseConfig([], {});
    expect(config).toMatchObject({
      namespaces: [],
      workers: 2,
      kubeApiQps: 0,
      kubeApiBurst: 100,
      logLevel: 'info',
      metricsAddr: ':8080',
      leaderElect: true,
      leaderElectionNamespace: 'default',
      leaderElectionId: 'berth-operator',
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      shutdownGracePeriod: 30_000,
    });
    expect(config.identity).toMatch(/_/);
  });

  it('takes environment, and flags over environment', () => {
    const config = parseConfig(['--workers=8', '--namespaces', 'a, b'], {
      BERTH_WORKERS: '4',
      BERTH_LOG_LEVEL: 'debug',
      BERTH_LEADER_ELECT: 'false',
      BERTH_SHARD_SELECTOR: 'berth.dev/shard=a',
      POD_NAMESPACE: 'berth-system',
    });
    expect(config).toMatchObject({
      workers: 8,
      namespaces: ['a', 'b'],
      logLevel: 'debug',
      leaderElect: false,
      shardSelector: 'berth.dev/shard=a',
      leaderElectionNamespace: 'berth-system',
    });
  });

  it('names every bad setting by flag and environment variable', () => {
    let message = '';
    try {
      parseConfig(['--workers=0', '--lease-duration=soon'], { BERTH_LOG_LEVEL: 'loud' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('--workers (BERTH_WORKERS)');
    expect(message).toContain('--lease-duration (BERTH_LEASE_DURATION): lease-duration must be a duration');
    expect(message).toContain('--log-level (BERTH_LOG_LEVEL)');
  });

  it('takes a metrics address only as an IP address (or none, or localhost) and a real port', () => {
    for (const ok of [':8080', '127.0.0.1:0', '[::1]:9090', 'localhost:8080', '0.0.0.0:65535'])
      expect(parseConfig([`--metrics-addr=${ok}`], {}).metricsAddr).toBe(ok);
    for (const bad of ['1.2.3.4.5:8080', '999.0.0.1:80', ':70000', 'localhost-shop.example.com:80', '8080'])
      expect(() => parseConfig([`--metrics-addr=${bad}`], {}), bad).toThrow(/metrics-addr must be host:port/);
  });

  it('rejects an unknown flag and lists the known ones', () => {
    expect(() => parseConfig(['--wrokers=2'], {})).toThrow(/Unknown option '--wrokers'[\s\S]*--workers/);
  });

  it('rejects inconsistent leader election timings', () => {
    expect(() => parseConfig(['--lease-duration=10s', '--renew-deadline=15s'], {})).toThrow(
      /renew-deadline must be shorter than lease-duration/,
    );
  });
});
