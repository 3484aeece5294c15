import type { AttachedScheduler, Stats } from "@sched/core";

interface Entry {
  readonly schedulers: Set<AttachedScheduler>;
  value: Stats | null;
  readAt: number;
  inFlight: Promise<Stats | null> | null;
  failing: boolean;
}

/**
 * The job counts of each store in use, read through `stats()` at most once per `ttlMs` per store
 * (schedulers sharing a store share one reading), so a metric scrape never floods the store.
 */
export class StatsCache {
  private readonly entries = new Map<object, Entry>();

  constructor(private readonly ttlMs: number) {}

  /** Starts reading the store of `scheduler`; returns the function that stops it. */
  add(scheduler: AttachedScheduler): () => void {
    let entry = this.entries.get(scheduler.storeKey);
    if (!entry) {
      entry = { schedulers: new Set(), value: null, readAt: 0, inFlight: null, failing: false };
      this.entries.set(scheduler.storeKey, entry);
    }
    entry.schedulers.add(scheduler);
    const added = entry;
    return () => {
      added.schedulers.delete(scheduler);
      if (added.schedulers.size === 0 && this.entries.get(scheduler.storeKey) === added) {
        this.entries.delete(scheduler.storeKey);
      }
    };
  }

  /** The latest counts of every store, reading those older than the TTL; failed readings are left out. */
  async read(): Promise<Stats[]> {
    const readings = await Promise.all([...this.entries.values()].map((entry) => this.readEntry(entry)));
    return readings.filter((stats): stats is Stats => stats !== null);
  }

  private readEntry(entry: Entry): Promise<Stats | null> {
    const scheduler = entry.schedulers.values().next().value;
    if (!scheduler) return Promise.resolve(null);
    if (entry.value && scheduler.now() - entry.readAt < this.ttlMs) return Promise.resolve(entry.value);
    if (entry.inFlight) return entry.inFlight;
    entry.inFlight = scheduler
      .stats()
      .then(
        (stats) => {
          entry.value = stats;
          entry.readAt = scheduler.now();
          entry.failing = false;
          return stats;
        },
        (err: unknown) => {
          if (!entry.failing) {
            scheduler.logger.warn("reading job counts for the queue gauges failed", {
              error: err instanceof Error ? err.message : String(err),
            });
          }
          entry.failing = true;
          entry.value = null;
          return null;
        },
      )
      .finally(() => {
        entry.inFlight = null;
      });
    return entry.inFlight;
  }
}
