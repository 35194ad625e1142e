import type { ChildProcess } from 'node:child_process';

/**
 * Every child process a helper started and that is still running, with what to clean up after
 * it (a temporary directory, say), so that a run that ends early leaves no orphan behind.
 */
const running = new Map<ChildProcess, (() => void) | undefined>();

let exitHandlersInstalled = false;
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  // Synchronous on purpose ('exit' handlers cannot wait): kill and the cleanups are.
  const killAll = (): void => {
    for (const [child, cleanup] of running) {
      child.kill('SIGKILL');
      cleanup?.();
    }
  };
  process.on('exit', killAll);
  // A process killed by a signal never emits 'exit'. SIGINT is left to mocha, and a Ctrl-C reaches
  // the children anyway (same process group); SIGTERM and SIGHUP (a CI timeout, a closed terminal)
  // do not. `once` removes the listener, so raising the signal again ends us the default way.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Registers `child` to be killed with SIGKILL (and `cleanup` run, synchronously) if this process
 * exits, or is ended by SIGTERM or SIGHUP, while the child still runs. The child is forgotten
 * once it exits by itself.
 */
export function killOnExit(child: ChildProcess, cleanup?: () => void): void {
  installExitHandlers();
  running.set(child, cleanup);
  child.once('exit', () => running.delete(child));
}

/** Whether `child` has not exited yet (it may be stopped by SIGSTOP). */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Resolves once `child` has exited, or at once if it already has. The `'exit'` event alone would
 * never come for a child that exited before the listener was added.
 */
export function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Sends `signal` and resolves once the process has exited. A signal other than SIGKILL that is
 * not obeyed within `graceMs` is followed by SIGKILL.
 *
 * Pipes to the child's stdio are destroyed afterwards: they close on their own soon after the
 * exit, but destroying them now means the caller leaves no handle behind.
 */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
  if (isRunning(child)) {
    const done = exited(child);
    child.kill(signal);
    if (signal === 'SIGKILL') {
      await done;
    } else {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    }
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}
