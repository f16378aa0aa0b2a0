/**
 * Per-item locks: what makes transactions and single-item operations serializable here, as
 * DynamoDB documents them ("Isolation levels for DynamoDB transactions",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation).
 *
 * Writers (PutItem, UpdateItem, DeleteItem, each item of BatchWriteItem, TransactWriteItems) take
 * an item's lock exclusively; GetItem and TransactGetItems take it shared. Locks are granted first
 * come, first served, and a caller that needs several takes them in sorted key order, so callers
 * never deadlock. Where DynamoDB rejects a conflicting request (TransactionConflictException, or a
 * TransactionConflict cancellation reason), a request here waits for the lock instead.
 */

export type LockMode = 'shared' | 'exclusive';

interface Entry {
  holders: number;
  exclusive: boolean;
  queue: Array<{ mode: LockMode; grant: () => void }>;
}

export class ItemLocks {
  private readonly entries = new Map<string, Entry>();

  /** Takes the locks of all `keys` in `mode`; resolves to the function that releases them. */
  async acquire(keys: Iterable<string>, mode: LockMode): Promise<() => void> {
    const taken: string[] = [];
    for (const key of [...new Set(keys)].sort()) {
      const waiting = this.take(key, mode);
      if (waiting) await waiting;
      taken.push(key);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of taken) this.release(key, mode);
    };
  }

  /** Runs `work` while holding the locks of `keys`. */
  async with<T>(keys: Iterable<string>, mode: LockMode, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(keys, mode);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** How many items are locked or waited for (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  private take(key: string, mode: LockMode): Promise<void> | undefined {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { holders: 0, exclusive: false, queue: [] };
      this.entries.set(key, entry);
    }
    if (entry.queue.length === 0 && compatible(entry, mode)) {
      grant(entry, mode);
      return undefined;
    }
    const queue = entry.queue;
    return new Promise((resolve) => queue.push({ mode, grant: resolve }));
  }

  private release(key: string, mode: LockMode) {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.holders--;
    if (mode === 'exclusive') entry.exclusive = false;
    for (let next = entry.queue[0]; next && compatible(entry, next.mode); next = entry.queue[0]) {
      entry.queue.shift();
      grant(entry, next.mode);
      next.grant();
    }
    if (entry.holders === 0 && entry.queue.length === 0) this.entries.delete(key);
  }
}

function compatible(entry: Entry, mode: LockMode): boolean {
  return mode === 'shared' ? !entry.exclusive : entry.holders === 0;
}

function grant(entry: Entry, mode: LockMode) {
  entry.holders++;
  if (mode === 'exclusive') entry.exclusive = true;
}
