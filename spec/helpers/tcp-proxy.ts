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

/** Options of {@link TcpProxy.retarget}. */
export interface RetargetOptions {
  /**
   * How long the server side of a connection must have been silent, besides owing no reply,
   * before it is switched: a margin for the commands that get more than one reply (SUBSCRIBE to
   * several channels). The client's new requests are held meanwhile, so it costs the client this
   * much latency, once.
   * @defaultValue 5
   */
  quietMs?: number;
  /**
   * How long to wait for every open connection to have a quiet moment before failing.
   * @defaultValue 5000
   */
  timeoutMs?: number;
}

/** A TCP proxy in front of one local port, whose link a test can cut, heal and point elsewhere. */
export interface TcpProxy {
  /** The port clients connect to. */
  readonly port: number;
  /** The port connections are forwarded to: the one given to {@link startProxy}, or the last {@link TcpProxy.retarget}. */
  readonly targetPort: number;
  /** The number of client connections currently open through the proxy. */
  readonly connections: number;
  /** Fails the link until {@link TcpProxy.heal}; see {@link CutMode}. */
  cut(options?: { mode?: CutMode }): void;
  /** Restores the link: held connections resume, new ones are forwarded again. */
  heal(): void;
  /**
   * Points the proxy at `127.0.0.1:port` without closing any client connection, as a load
   * balancer or a VIP does when it fails over to another server: new connections go to `port`,
   * and each open one gets a new connection to `port` at its next quiet moment, its old upstream
   * connection being closed. A quiet moment: the client's next requests are held (a chunk is
   * split after the command it completes), and once the old server owes no reply (the proxy
   * counts RESP values both ways) and was silent for {@link RetargetOptions.quietMs}, the held
   * requests go to the new server. So no reply is lost and none is matched to the wrong request.
   * The client sees nothing but the answers of another server, which knows nothing of the old
   * connection's state (subscriptions, SELECT, AUTH): no close, no error. Resolves once every
   * connection open at the call has been switched (or has closed); rejects after `timeoutMs` if
   * one never went quiet. Only while the link is not cut.
   */
  retarget(port: number, options?: RetargetOptions): Promise<void>;
  /** Stops listening and destroys every connection; resolves when the listener is closed. */
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  /** Replaced by {@link TcpProxy.retarget}; the client socket stays. */
  upstream: Socket;
  /** The commands the client sent, counted. */
  readonly requests: RespCounter;
  /** The replies (and pushes) the current upstream sent, counted. */
  replies: RespCounter;
  /** Commands sent to the current upstream and not answered yet. */
  owed: number;
  /** When the current upstream last sent bytes (`performance.now()`). */
  lastReply: number;
  /** Set once the client socket has closed. */
  clientClosed: boolean;
  /** A retarget is waiting for this link's quiet moment. */
  switching: boolean;
  /** Requests read from the client but kept for the new upstream (`switching` only), and how many commands they complete. */
  held: Buffer[] | undefined;
  heldCommands: number;
}

/**
 * Starts a proxy on a free port of 127.0.0.1 that forwards every connection to
 * `127.0.0.1:targetPort` (until {@link TcpProxy.retarget} points it elsewhere).
 */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const links = new Set<Link>();
  /** Upstream sockets a retarget replaced, until they have closed: `close()` waits for them too. */
  const retired = new Set<Socket>();
  let state: 'open' | CutMode = 'open';
  const held = (): boolean => state === 'blackhole';

  /** Makes `upstream` the link's server side: bytes flow both ways between it and the client. */
  const attach = (link: Link, upstream: Socket): void => {
    const { client } = link;
    link.upstream = upstream;
    upstream.on('error', () => {});
    upstream.on('data', (chunk: Buffer) => {
      // Pub/sub pushes are counted too, hence the floor: they are not replies to anything.
      link.owed = Math.max(0, link.owed - link.replies.feed(chunk).length);
      link.lastReply = performance.now();
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on('drain', () => {
      if (!held() && link.held === undefined) client.resume();
    });
    upstream.on('end', () => client.end());
    upstream.once('close', (hadError) => {
      // A refused or broken upstream becomes a reset for the client, the nearest thing to a
      // refusal; a clean close (QUIT, a killed server's FIN) stays clean, after the last bytes.
      if (!client.destroyed) {
        if (hadError) client.resetAndDestroy();
        else client.end(() => client.destroy());
      }
      if (link.clientClosed) links.delete(link);
    });
  };

  /** Gives the link a new upstream connection to `port`; the old one is closed without a word to the client. */
  const switchUpstream = (link: Link, port: number): void => {
    const old = link.upstream;
    // Its listeners would end or reset the client: this close is the proxy's, not the server's.
    old.removeAllListeners('data');
    old.removeAllListeners('drain');
    old.removeAllListeners('end');
    old.removeAllListeners('close');
    retired.add(old);
    old.once('close', () => retired.delete(old));
    old.destroy();
    // Writes before the new socket connects are buffered by it, in order: no request is lost.
    attach(link, connect({ host: '127.0.0.1', port }));
    link.replies = new RespCounter();
    link.owed = link.heldCommands;
    for (const chunk of link.held ?? []) link.upstream.write(chunk);
    link.held = undefined;
    link.heldCommands = 0;
    link.switching = false;
    link.client.resume();
  };

  /** Stops reading the client's requests: from here on they wait for the new upstream. */
  const holdRequests = (link: Link): void => {
    link.held = [];
    link.client.pause();
  };

  const server = createServer((client) => {
    // An error on a proxied socket is the scenario under test, not a failure of the proxy.
    client.on('error', () => {});
    if (state === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const link: Link = {
      client,
      upstream,
      requests: new RespCounter(),
      replies: new RespCounter(),
      owed: 0,
      lastReply: performance.now(),
      clientClosed: false,
      switching: false,
      held: undefined,
      heldCommands: 0,
    };
    attach(link, upstream);
    links.add(link);
    if (state === 'blackhole') hold(link);
    client.on('data', (chunk: Buffer) => {
      const ends = link.requests.feed(chunk);
      if (link.held !== undefined) {
        // Read before the pause took effect: for the new upstream.
        link.held.push(chunk);
        link.heldCommands += ends.length;
        return;
      }
      if (link.switching && ends.length > 0) {
        // The first command this chunk completes is the old upstream's; the rest waits.
        const split = ends[0]!;
        link.owed += 1;
        if (!link.upstream.write(chunk.subarray(0, split))) client.pause();
        holdRequests(link);
        if (split < chunk.length) link.held!.push(chunk.subarray(split));
        link.heldCommands = ends.length - 1;
        return;
      }
      link.owed += ends.length;
      if (!link.upstream.write(chunk)) client.pause();
    });
    client.on('drain', () => {
      if (!held()) link.upstream.resume();
    });
    client.on('end', () => link.upstream.end());
    client.once('close', () => {
      link.clientClosed = true;
      link.upstream.destroy();
      if (link.upstream.closed) links.delete(link);
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
    get targetPort() {
      return targetPort;
    },
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
    async retarget(port, { quietMs = 5, timeoutMs = 5000 } = {}) {
      if (state !== 'open') throw new Error(`retarget() while the link is cut (${state}): heal() it first`);
      targetPort = port;
      const pending = new Set([...links].filter((link) => !link.clientClosed));
      for (const link of pending) {
        link.switching = true;
        // Between two commands: hold the next ones now. In the middle of one: once it is complete.
        if (link.requests.atBoundary) holdRequests(link);
      }
      const deadline = performance.now() + timeoutMs;
      await new Promise<void>((resolve, reject) => {
        const poll = (): void => {
          for (const link of pending) {
            if (link.clientClosed) {
              pending.delete(link);
            } else if (link.held !== undefined && link.owed === 0 && link.replies.atBoundary && performance.now() - link.lastReply >= quietMs) {
              switchUpstream(link, port);
              pending.delete(link);
            }
          }
          if (pending.size === 0) return resolve();
          if (performance.now() >= deadline) {
            for (const link of pending) {
              // Given up: what was held goes to the old upstream after all.
              for (const chunk of link.held ?? []) link.upstream.write(chunk);
              link.owed += link.heldCommands;
              link.held = undefined;
              link.heldCommands = 0;
              link.switching = false;
              link.client.resume();
            }
            return reject(new Error(`retarget(${port}): ${pending.size} connection(s) had no quiet moment of ${quietMs} ms within ${timeoutMs} ms`));
          }
          setTimeout(poll, 1);
        };
        poll();
      });
    },
    close() {
      closed ??= (async () => {
        const sockets = [...links].flatMap(({ client, upstream }) => [client, upstream]).concat([...retired]);
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
 * Counts the RESP values (RESP2 and RESP3, and inline commands) of a byte stream fed in chunks
 * of any size: the commands a client sends, or the replies a server sends. What lets the proxy
 * know when a server owes nothing, and where in a chunk a command ends.
 */
class RespCounter {
  /** For each aggregate being read, how many of its elements are still to come. */
  readonly #open: number[] = [];
  /** Bytes of a bulk string (with its CRLF) still to skip. */
  #bulk = 0;
  /** The part of a header line read so far (headers are ASCII). */
  #line = '';

  /** True between two values: the next byte starts a new one. */
  get atBoundary(): boolean {
    return this.#open.length === 0 && this.#bulk === 0 && this.#line === '';
  }

  /** Reads `chunk`; returns the offset just past each top-level value it completes. */
  feed(chunk: Buffer): number[] {
    const ends: number[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#bulk > 0) {
        const take = Math.min(this.#bulk, chunk.length - i);
        i += take;
        this.#bulk -= take;
        if (this.#bulk === 0) this.#done(ends, i);
        continue;
      }
      const newline = chunk.indexOf(10, i);
      if (newline === -1) {
        this.#line += chunk.toString('latin1', i);
        break;
      }
      const line = (this.#line + chunk.toString('latin1', i, newline)).replace(/\r$/, '');
      this.#line = '';
      i = newline + 1;
      this.#header(line, ends, i);
    }
    return ends;
  }

  #header(line: string, ends: number[], at: number): void {
    const n = Number.parseInt(line.slice(1), 10);
    switch (line[0]) {
      case '$': // bulk string, and RESP3's blob error and verbatim string
      case '!':
      case '=':
        if (n < 0) this.#done(ends, at);
        else this.#bulk = n + 2;
        return;
      case '*': // array, and RESP3's set and push
      case '~':
      case '>':
        if (n <= 0) this.#done(ends, at);
        else this.#open.push(n);
        return;
      case '%': // RESP3 map: two values per entry
        if (n <= 0) this.#done(ends, at);
        else this.#open.push(2 * n);
        return;
      case '|': // RESP3 attribute: its entries, then the value it describes
        this.#open.push(2 * n + 1);
        return;
      default: // simple string, error, integer, RESP3's null, double, boolean, big number, or an inline command
        this.#done(ends, at);
    }
  }

  /** A value ended at `at`: it may complete the aggregates around it, and at the top, a value of the stream. */
  #done(ends: number[], at: number): void {
    for (;;) {
      const last = this.#open.length - 1;
      if (last < 0) {
        ends.push(at);
        return;
      }
      if (--this.#open[last]! > 0) return;
      this.#open.pop();
    }
  }
}
