import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** File paths of a throwaway PKI for one control plane. */
export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await execFileAsync('openssl', args, { cwd });
}

/**
 * Creates a CA, a serving certificate for 127.0.0.1 (and `extraIps`: the address Pods reach the
 * API server at, the `kubernetes` Service's cluster IP), an admin client certificate in group
 * system:masters and a ServiceAccount signing key pair, valid for one day, with the openssl CLI
 * (Node's crypto cannot issue X.509 certificates).
 */
export async function createPki(dir: string, extraIps: readonly string[] = []): Promise<Pki> {
  const p = (name: string) => join(dir, name);
  const ips = ['127.0.0.1', ...extraIps].map((ip) => `IP:${ip}`).join(',');
  await writeFile(p('server.ext'), `subjectAltName=${ips},DNS:localhost\nextendedKeyUsage=serverAuth\n`);
  await writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const days = ['-days', '1'];
  await openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', ...days, '-subj', '/CN=berth-test-ca'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ]),
    dir,
  );
  const issue = async (name: string, subject: string, ext: string) => {
    await openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        subject,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
      ],
      dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        // An explicit random serial per certificate: -CAcreateserial shares ca.srl, and the two
        // certificates issued in parallel raced on it (seen as "Unable to load number from ca.srl").
        '-set_serial',
        `0x${randomBytes(16).toString('hex')}`,
        ...days,
      ].concat(['-out', `${name}.crt`, '-extfile', ext]),
      dir,
    );
  };
  await Promise.all([
    issue('server', '/CN=kube-apiserver', 'server.ext'),
    issue('admin', '/O=system:masters/CN=berth-admin', 'client.ext'),
    openssl(['genrsa', '-out', 'sa.key', '2048'], dir),
  ]);
  await openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
  };
}
