/**
 * The entry point of a replica process, forked by `startReplica` (`replica.ts`), which also
 * describes the protocol. Over IPC it receives the module to run and its init payload, imports
 * the module, awaits `setup(init)`, then answers calls to the returned handlers until it is told
 * to close. Values cross as JSON.
 *
 * It exits:
 * - on `close`, after the handlers' `close()` (code 0, or 1 if it threw);
 * - when the parent goes away (the IPC channel closes), so a crashed test run leaves no orphan;
 * - on an uncaught exception or unhandled rejection, after reporting it to the parent (code 1);
 * - when the import or `setup` fails, after reporting it (code 1).
 */
import type { ChildMessage, ParentMessage, ReplicaHandlers, WireError } from './replica.js';

let handlers: ReplicaHandlers | undefined;
let dying = false;

if (process.send === undefined) {
  process.stderr.write('replica-main must be started by startReplica() (child_process.fork), not run directly\n');
  process.exit(2);
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'init':
      void init(message.module, message.init);
      return;
    case 'call':
      void call(message.id, message.method, message.args);
      return;
    case 'close':
      void close();
      return;
    default:
      return;
  }
});
// The parent died or let go: nobody can call us any more.
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => void die('uncaughtException', error));
process.on('unhandledRejection', (reason) => void die('unhandledRejection', reason));

async function init(module: string, payload: unknown): Promise<void> {
  try {
    if (handlers !== undefined) throw new Error('replica-main: init received twice');
    const imported = (await import(module)) as { setup?: unknown };
    if (typeof imported.setup !== 'function') throw new TypeError(`${module} does not export a setup(init) function`);
    const made = (await imported.setup(payload)) as unknown;
    if (typeof made !== 'object' || made === null) throw new TypeError(`setup() of ${module} must resolve with an object of handlers, got ${String(made)}`);
    handlers = made as ReplicaHandlers;
  } catch (error) {
    await send({ type: 'init-failed', error: toWire(error) });
    process.exit(1);
  }
  await send({ type: 'ready' });
}

async function call(id: number, method: string, args: unknown[]): Promise<void> {
  let reply: ChildMessage;
  try {
    const handler = handlers?.[method];
    if (typeof handler !== 'function') {
      const known = Object.keys(handlers ?? {}).filter((name) => name !== 'close');
      throw Object.assign(new Error(`the replica has no handler ${JSON.stringify(method)} (it has: ${known.join(', ')})`), { code: 'REPLICA_NO_HANDLER' });
    }
    reply = { type: 'result', id, ok: true, value: await handler.apply(handlers, args) };
  } catch (error) {
    reply = { type: 'result', id, ok: false, error: toWire(error) };
  }
  try {
    await send(reply);
  } catch (error) {
    // JSON could not encode the value (a BigInt, a cycle): that call fails, not the replica.
    const reason = `the result of ${method}() cannot cross IPC as JSON: ${(error as Error).message}`;
    await send({ type: 'result', id, ok: false, error: toWire(Object.assign(new TypeError(reason), { code: 'REPLICA_NOT_JSON' })) });
  }
}

async function close(): Promise<void> {
  let error: WireError | undefined;
  try {
    await handlers?.close?.();
  } catch (thrown) {
    error = toWire(thrown);
  }
  await send(error === undefined ? { type: 'closed' } : { type: 'closed', error });
  process.exit(error === undefined ? 0 : 1);
}

async function die(kind: 'uncaughtException' | 'unhandledRejection', error: unknown): Promise<void> {
  if (dying) return;
  dying = true;
  await send({ type: 'fatal', kind, error: toWire(error) });
  process.exit(1);
}

/**
 * Sends `message` and resolves once it is handed to the channel (or at once if the channel is
 * gone). Rejects if JSON cannot encode it (`process.send` throws).
 */
function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

/** An error (or anything thrown) as JSON can carry it, with its own properties and its cause. */
function toWire(thrown: unknown, depth = 0): WireError {
  if (!(thrown instanceof Error)) {
    return { name: 'Error', message: `a non-error was thrown: ${safeJson(thrown) ?? String(thrown)}`, props: { thrown: safeJson(thrown) === undefined ? String(thrown) : thrown } };
  }
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(thrown)) {
    if (key === 'cause') continue;
    const json = safeJson(value);
    if (json !== undefined) props[key] = JSON.parse(json);
  }
  const wire: WireError = { name: thrown.name, message: thrown.message, props };
  if (thrown.stack !== undefined) wire.stack = thrown.stack;
  if (thrown.cause !== undefined && depth < 5) wire.cause = toWire(thrown.cause, depth + 1);
  return wire;
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
