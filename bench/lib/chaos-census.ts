// What the provider holds, read from the simulator's own state and never through berth's client,
// so that the chaos audit checks berth against an independent record.
import type { RunningSimulators } from '../../src/simulators/all.ts';
import type { ChaosProvider } from './chaos-world.ts';

/** One credential at the provider, as the provider sees it. */
export interface ProviderCredential {
  /** The provider's ID, as berth records it in status.credentialId (IONOS/Selectel UUID, Quay `org+name`). */
  id: string;
  /** The name at the provider (Quay: the robot's short name). */
  name: string;
  /** The password a docker login uses: lets the audit tell which credential a Secret holds. */
  secret: string;
  /** Whether it still logs in: present, enabled or active, not expired. */
  live: boolean;
}

/** Names berth gives credentials (`berth-<uid>-<counter>`): anything else at the provider is not its own. */
export const BERTH_NAME = /^berth-/;

/** Every berth-named credential the provider holds now, live or not (revoked Selectel tokens stay listed). */
export function providerCensus(sims: RunningSimulators, provider: ChaosProvider): ProviderCredential[] {
  const out: ProviderCredential[] = [];
  switch (provider) {
    case 'ionos': {
      const { world } = sims.ionos;
      // Expired IONOS tokens vanish; settle applies that before reading.
      world.settle();
      const now = world.now();
      for (const registry of world.registries.values())
        for (const t of registry.tokens.values())
          out.push({
            id: t.id,
            name: t.name,
            secret: t.password,
            live: t.status === 'enabled' && (t.expiresAt === undefined || t.expiresAt > now),
          });
      break;
    }
    case 'selectel': {
      const { state } = sims.selectel;
      state.settle();
      for (const t of state.tokensV2.values())
        out.push({ id: t.id, name: t.name, secret: t.secret, live: state.tokenStatus(t) === 'active' });
      break;
    }
    case 'quay': {
      // Robot tokens never expire: a robot that exists logs in.
      for (const org of sims.quay.state.organizations.values())
        for (const robot of org.robots.values())
          out.push({
            id: `${org.name}+${robot.shortname}`,
            name: robot.shortname,
            secret: robot.token,
            live: true,
          });
      break;
    }
  }
  return out.filter((c) => BERTH_NAME.test(c.name));
}

/** How a docker login fares at the provider: pulls the repository, logs in without pull, or is refused. */
export type LoginAccess = 'pull' | 'no-pull' | 'dead';

/** Asks the simulator's docker-login check (what the real registry's token service asks) about a login. */
export function loginAccess(
  sims: RunningSimulators,
  provider: ChaosProvider,
  login: { username: string; password: string },
  repository: string,
): LoginAccess {
  const allowed = sims[provider].registryAccess.verify(login.username, login.password);
  if (!allowed) return 'dead';
  return allowed(repository).includes('pull') ? 'pull' : 'no-pull';
}
