import type { Store } from '../queue/delivery-queues.js';
import type { Partition } from '../queue/keys.js';
import { LogWriter, type LogWriterDeps } from './log-writer.js';

/** How often the partitions of other layouts are looked for (a changed `redis.partitions`). */
const LAYOUTS_EVERY_MS = 60_000;

/**
 * The event-log writers of one worker: one per partition (each reads its own log
 * stream, so a settle script and the stream it feeds stay in one slot), plus one for
 * each partition of an older layout whose log stream still has entries. The
 * retention expiry runs in one of them only.
 */
export class LogWriters {
  private readonly writers = new Map<string, LogWriter>();
  private timer: NodeJS.Timeout | undefined;
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
    const find = () => void this.findPartitions().catch(() => {});
    setTimeout(find, 1000).unref();
    this.timer = setInterval(find, LAYOUTS_EVERY_MS);
    this.timer.unref();
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
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

  private async findPartitions(): Promise<void> {
    const others = (await this.store.allPartitions()).filter((p) => !this.writers.has(p.prefix));
    if (!others.length) return;
    const exists = await Promise.all(others.map((p) => this.store.redis.exists(p.keys.log)));
    others.forEach((p, i) => {
      if (exists[i]) this.add(p);
    });
  }
}
