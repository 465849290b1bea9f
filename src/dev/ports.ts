import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on `host` (default 127.0.0.1). Another process may take it
 * before the caller binds it: a server that cannot bind is started again on another port (see
 * startSimulatorsWithRegistry).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
