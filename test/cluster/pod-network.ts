import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The test node's Pod network: a Linux bridge whose address is the Pods' gateway. The API server,
 * the provider simulators and the registry listen on the gateway address, so Pods reach them
 * (the API server also through the `kubernetes` Service) and the host reaches them too, without
 * host-network Pods, which Pod Security `restricted` would refuse.
 */
export const POD_NETWORK = {
  /** Interface names have at most 15 characters. */
  bridge: 'berth-e2e0',
  /** The CNI network name (also the host-local IPAM folder). */
  name: 'berth-e2e',
  subnet: '10.213.0.0/24',
  gateway: '10.213.0.1',
  /** Service cluster IPs, as the API server's --service-cluster-ip-range. */
  serviceSubnet: '10.0.0.0/24',
  /** The `kubernetes` Service's cluster IP: the first of the service range. */
  apiServiceIp: '10.0.0.1',
} as const;

/**
 * Kernel settings that kubelet (setupKernelTunables), kube-proxy and the bridge plugin change
 * when they start. Saved before the node starts; scripts/cluster/node-cleanup.sh puts them back.
 */
export const TOUCHED_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
] as const;

/** Current values of {@link TOUCHED_SYSCTLS} (those this kernel has). */
export async function saveSysctls(): Promise<Record<string, string>> {
  const saved: Record<string, string> = {};
  for (const key of TOUCHED_SYSCTLS) {
    const value = await readFile(`/proc/sys/${key}`, 'utf8').catch(() => undefined);
    if (value !== undefined) saved[key] = value.trim();
  }
  return saved;
}

async function ip(...args: string[]): Promise<string> {
  return (await execFileAsync('ip', args)).stdout;
}

/**
 * Creates the bridge with the gateway address (idempotent). The API server binds this address
 * before any Pod exists; the CNI bridge plugin then finds the bridge and uses it as it is.
 */
export async function createBridge(): Promise<void> {
  const { bridge, gateway, subnet } = POD_NETWORK;
  const prefix = subnet.split('/')[1];
  const exists = await ip('-o', 'link', 'show', bridge).then(
    () => true,
    () => false,
  );
  if (!exists) await ip('link', 'add', bridge, 'type', 'bridge');
  const addresses = await ip('-o', '-4', 'addr', 'show', 'dev', bridge);
  if (!addresses.includes(`${gateway}/`)) await ip('addr', 'add', `${gateway}/${prefix}`, 'dev', bridge);
  await ip('link', 'set', bridge, 'up');
}

/** Removes the bridge (and with it its address and routes); no error when it is gone already. */
export async function deleteBridge(): Promise<void> {
  await ip('link', 'del', POD_NETWORK.bridge).catch(() => undefined);
}

/** The CNI configuration list: the bridge as the Pods' gateway, host-local addresses, loopback. */
export function cniConfList(ipamDataDir: string): string {
  const { name, bridge, subnet, gateway } = POD_NETWORK;
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          // The Pods' default route: the API server's Service IP is reached through the host (kube-proxy).
          isDefaultGateway: true,
          // Pods talk only to the host's services on the gateway: no masquerading, no rules.
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet, gateway }]],
            dataDir: ipamDataDir,
          },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  );
}
