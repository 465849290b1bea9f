import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { DockerLogin } from '../../src/clients/provider.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { loginFrom } from '../../src/controllers/registry-token/docker-config.ts';
import { eventually } from './helpers.ts';

/** A RegistryToken as the tests read it. */
export interface TestToken {
  metadata: { name: string; generation: number; uid: string };
  status?: {
    observedGeneration?: number;
    credentialId?: string;
    lastRotationReason?: string;
    scopeProblems?: string[];
    pendingRevocations?: unknown[];
    conditions?: { type: string; status: string; message: string }[];
  };
}

/** Reading RegistryTokens and their Secrets in one namespace (given late: tests make it in beforeAll). */
export function tokenReader(kc: KubeConfig, namespace: () => string) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const read = (name: string) =>
    custom.getNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace: namespace(),
      name,
    }) as Promise<TestToken>;
  return {
    read,
    /** Waits until the token is Ready at its generation and `pred` holds. */
    ready: (name: string, pred: (t: TestToken) => boolean = () => true, timeoutMs = 60_000) =>
      eventually(
        async () => {
          const t = await read(name);
          const ready = t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
          return ready && t.status?.observedGeneration === t.metadata.generation && pred(t) ? t : undefined;
        },
        { timeoutMs, what: `${name} Ready` },
      ),
    /** The docker login in the token's Secret (of the same name). */
    login: async (name: string): Promise<DockerLogin> => {
      const secret = await core.readNamespacedSecret({ namespace: namespace(), name });
      const login = loginFrom(
        Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8'),
      );
      if (!login) throw new Error(`Secret ${name} holds no docker login`);
      return login;
    },
  };
}
