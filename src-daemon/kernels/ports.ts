/**
 * Free TCP ports for a kernel's five channels. Same approach as jupyter_client: bind port 0,
 * read the port, release it. There is a small window in which another process can take a
 * port; the kernel then fails to bind, and LocalKernelConnection starts it again on new ports.
 */
import net from 'node:net';

export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  // All servers stay open until every port is known, so the OS never hands out one port twice.
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(await listen(server, host));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

function listen(server: net.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('could not read the port of a listening socket'));
    });
  });
}
