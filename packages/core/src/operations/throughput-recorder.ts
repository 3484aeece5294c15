import type { ResolvedOptions } from "../config/options.js";
import type { Store, ThroughputSample } from "../store/store.js";
import { PeriodicTask } from "../time/periodic-task.js";

/** How often an instance adds its counts to the store's throughput history (ms). */
export const THROUGHPUT_FLUSH_MS = 10_000;
/** How long the store keeps the history: two days, so that the last 24 hours are always there (ms). */
export const THROUGHPUT_RETENTION_MS = 48 * 3_600_000;
const MINUTE_MS = 60_000;

/**
 * Counts the attempts this instance completed and failed, per queue and minute of the injected
 * clock, and adds them to the store's throughput history every {@link THROUGHPUT_FLUSH_MS} and on
 * stop. Counts that could not be added are kept for the next flush.
 */
export class ThroughputRecorder {
  private counts = new Map<string, ThroughputSample>();
  /** The sample counted last, while it is in `counts`. */
  private last: ThroughputSample | null = null;
  private readonly task: PeriodicTask;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
  ) {
    this.task = new PeriodicTask(
      "throughput",
      options.clock,
      () => THROUGHPUT_FLUSH_MS,
      () => this.flush(),
      options.logger,
    );
  }

  /** Counts a completed attempt of a job of `queue`. */
  completed(queue: string): void {
    this.sample(queue).completed++;
  }

  /** Counts a failed attempt of a job of `queue`. */
  failed(queue: string): void {
    this.sample(queue).failed++;
  }

  start(): void {
    this.task.start(THROUGHPUT_FLUSH_MS);
  }

  /** Stops the periodic flush and adds what is counted. */
  async stop(): Promise<void> {
    await this.task.stop();
    await this.flush().catch(() => {});
  }

  /** Adds the counts so far to the store's history. */
  async flush(): Promise<void> {
    if (this.counts.size === 0) return;
    const samples = [...this.counts.values()];
    this.counts = new Map();
    this.last = null;
    const now = this.options.clock.now();
    try {
      await this.store.addThroughput(samples, new Date(now - THROUGHPUT_RETENTION_MS));
    } catch (err) {
      // Kept for the next flush: history is approximate under an outage, never lost on purpose.
      for (const sample of samples) {
        const kept = this.sampleAt(sample.queue, sample.minute.getTime());
        kept.completed += sample.completed;
        kept.failed += sample.failed;
      }
      throw err;
    }
  }

  private sample(queue: string): ThroughputSample {
    const minute = Math.floor(this.options.clock.now() / MINUTE_MS) * MINUTE_MS;
    // Most attempts in a row count in the same queue and minute: no key to build for them.
    const last = this.last;
    if (last !== null && last.queue === queue && last.minute.getTime() === minute) return last;
    const sample = this.sampleAt(queue, minute);
    this.last = sample;
    return sample;
  }

  private sampleAt(queue: string, minute: number): ThroughputSample {
    const key = `${minute}\u0000${queue}`;
    let sample = this.counts.get(key);
    if (sample === undefined) {
      sample = { queue, minute: new Date(minute), completed: 0, failed: 0 };
      this.counts.set(key, sample);
    }
    return sample;
  }
}
