import { connect, createServer, type Socket } from 'node:net';

/**
 * How {@link TcpProxy.cut} fails the link.
 *
 * - `'reset'`: every open connection is reset (the client sees `ECONNRESET`), and new ones are
 *   accepted and reset at once: a Redis that is down, seen from the client, without giving up
 *   the port (re-listening later could lose it to another process).
 * - `'blackhole'`: nothing is closed and nothing gets through. Open connections stay open but
 *   stall; new ones are accepted and held. Like a network partition, it is silent: no `close`,
 *   no error, only timeouts. On {@link TcpProxy.heal} the held bytes flow again, as TCP would
 *   deliver them once a short partition heals, so request/reply streams stay in step.
 */
export type CutMode = 'reset' | 'blackhole';

/** A TCP proxy in front of one local port, whose link a test can cut and heal. */
export interface TcpProxy {
  /** The port clients connect to. */
  readonly port: number;
  /** The number of client connections currently open through the proxy. */
  readonly connections: number;
  /** Fails the link until {@link TcpProxy.heal}; see {@link CutMode}. */
  cut(options?: { mode?: CutMode }): void;
  /** Restores the link: held connections resume, new ones are forwarded again. */
  heal(): void;
  /** Stops listening and destroys every connection; resolves when the listener is closed. */
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
}

/**
 * Starts a proxy on a free port of 127.0.0.1 that forwards every connection to
 * `127.0.0.1:targetPort`.
 */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const links = new Set<Link>();
  let state: 'open' | CutMode = 'open';

  const server = createServer((client) => {
    // An error on a proxied socket is the scenario under test, not a failure of the proxy.
    client.on('error', () => {});
    if (state === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    upstream.on('error', () => {});
    const link: Link = { client, upstream };
    links.add(link);
    if (state === 'blackhole') hold(link);
    forward(client, upstream, () => state === 'blackhole');
    forward(upstream, client, () => state === 'blackhole');
    let open = 2;
    const closed = (): void => {
      if (--open === 0) links.delete(link);
    };
    client.once('close', () => {
      upstream.destroy();
      closed();
    });
    upstream.once('close', (hadError) => {
      // A refused or broken upstream becomes a reset for the client, the nearest thing to a
      // refusal; a clean close (QUIT, a killed server's FIN) stays clean, after the last bytes.
      if (!client.destroyed) {
        if (hadError) client.resetAndDestroy();
        else client.end(() => client.destroy());
      }
      closed();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`expected a TCP address, got ${String(address)}`);

  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    get connections() {
      return links.size;
    },
    cut({ mode = 'reset' } = {}) {
      state = mode;
      for (const link of links) {
        if (mode === 'reset') {
          link.client.resetAndDestroy();
          link.upstream.destroy();
        } else {
          hold(link);
        }
      }
    },
    heal() {
      state = 'open';
      for (const { client, upstream } of links) {
        // Resume only the sides not waiting for the other to drain.
        if (!upstream.writableNeedDrain) client.resume();
        if (!client.writableNeedDrain) upstream.resume();
      }
    },
    close() {
      closed ??= (async () => {
        const sockets = [...links].flatMap(({ client, upstream }) => [client, upstream]);
        const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Wait for each socket's own 'close', so nothing is left half torn down when this resolves.
        await Promise.all([listenerClosed, ...sockets.map(destroyed)]);
      })();
      return closed;
    },
  };
}

function destroyed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

function hold({ client, upstream }: Link): void {
  // Paused sockets stop reading: the bytes wait in kernel buffers, nothing is dropped.
  client.pause();
  upstream.pause();
}

/**
 * Copies `from` into `to` with backpressure. Hand-rolled rather than `pipe()`, because `pipe()`
 * resumes the source on `drain` and would undo a blackhole.
 */
function forward(from: Socket, to: Socket, held: () => boolean): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => {
    if (!held()) from.resume();
  });
  from.on('end', () => to.end());
}
