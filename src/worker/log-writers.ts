import { watchOtherLayouts, type Store } from '../queue/delivery-queues.js';
import type { Partition } from '../queue/keys.js';
import { LogWriter, type LogWriterDeps } from './log-writer.js';

/**
 * The event-log writers of one worker: one per partition (each reads its own log
 * stream, so a settle script and the stream it feeds stay in one slot), plus one for
 * each partition of an older layout whose log stream still has entries. The
 * retention expiry runs in one of them only.
 */
export class LogWriters {
  private readonly writers = new Map<string, LogWriter>();
  private stopWatching: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly deps: Omit<LogWriterDeps, 'partition' | 'store'>,
  ) {}

  /** Events written since start, by every partition's writer. */
  get written(): number {
    let n = 0;
    for (const w of this.writers.values()) n += w.written;
    return n;
  }

  /** Every partition's writer keeps up (see LogWriter.keepingUp): records may settle uncompressed. */
  keepingUp(): boolean {
    for (const w of this.writers.values()) if (!w.keepingUp()) return false;
    return this.writers.size > 0;
  }

  start(): void {
    for (const p of this.store.partitions) this.add(p);
    this.stopWatching = watchOtherLayouts(
      this.store,
      (p) => p.keys.log,
      (p) => this.writers.has(p.prefix),
      (p) => this.add(p),
    );
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.stopWatching?.();
    await Promise.all([...this.writers.values()].map((w) => w.close(timeoutMs)));
  }

  private add(partition: Partition): void {
    if (this.closed || this.writers.has(partition.prefix)) return;
    const first = this.writers.size === 0;
    const writer = new LogWriter({
      ...this.deps,
      store: this.store,
      partition,
      ...(first ? {} : { expireEveryMs: 0 }),
    });
    this.writers.set(partition.prefix, writer);
    writer.start();
  }
}
