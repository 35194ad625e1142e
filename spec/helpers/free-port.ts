import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on `host`: the kernel picks one for a throwaway listener,
 * which is closed before this resolves.
 *
 * Another process can take the port between now and its use, so callers that bind it (such as
 * `startRedis`) retry with a fresh port when it turns out to be taken.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`expected a TCP address, got ${String(address)}`);
  return address.port;
}
