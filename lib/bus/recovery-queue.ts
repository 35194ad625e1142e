/** A write that must reach Redis and the other replicas, even if it has to wait for Redis to come back. */
export type RecoveryOp = { kind: 'delete'; key: string } | { kind: 'tag'; tag: string } | { kind: 'clear' };

/**
 * Deletes, tag invalidations and clears that could not reach Redis, kept to be replayed when it
 * is back. De-duplicated (a key deleted twice is replayed once) and bounded: past `max`, the
 * oldest are dropped and counted, so the engine can report what was lost. Sets are never queued:
 * replayed late, they could overwrite a newer value written by another replica.
 */
export class RecoveryQueue {
  readonly #ops = new Map<string, RecoveryOp>();
  readonly #max: number;
  #dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#ops.size;
  }

  /** Operations dropped since the last `takeDropped()`. */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }

  add(op: RecoveryOp): void {
    const id = op.kind === 'delete' ? `k:${op.key}` : op.kind === 'tag' ? `t:${op.tag}` : 'clear';
    // Re-inserted at the end: the newest intent is kept, and the oldest goes first when full.
    this.#ops.delete(id);
    this.#ops.set(id, op);
    if (this.#ops.size > this.#max) {
      const oldest = this.#ops.keys().next().value as string;
      this.#ops.delete(oldest);
      this.#dropped++;
    }
  }

  /** Everything queued, oldest first; the queue is empty afterwards. */
  drain(): RecoveryOp[] {
    const ops = [...this.#ops.values()];
    this.#ops.clear();
    return ops;
  }
}
