import { hostname } from "node:os";
import type { ResolvedOptions } from "../config/options.js";
import type { InstanceRecord, Store } from "../store/store.js";
import { PeriodicTask } from "../time/periodic-task.js";
import { settleBy } from "../time/settle-by.js";
import { CORE_VERSION } from "../version.js";

/** A running scheduler instance as `listInstances` shows it. */
export type InstanceInfo = Omit<InstanceRecord, "expiresAt">;

/** Completed and failed attempts in one minute (see `Scheduler.throughput`). */
export interface ThroughputPoint {
  /** The start of the minute. */
  minute: Date;
  completed: number;
  failed: number;
}

/** How often a running scheduler renews its presence record (ms). */
export const PRESENCE_INTERVAL_MS = 10_000;
/** A presence record not renewed for this long counts as stale (ms). */
export const PRESENCE_TTL_MS = 3 * PRESENCE_INTERVAL_MS;

/**
 * Keeps this instance's presence record in the store (`Store.saveInstance`) while the scheduler
 * runs: written at start, renewed every {@link PRESENCE_INTERVAL_MS}, removed on stop. A process
 * that dies leaves a record that expires after {@link PRESENCE_TTL_MS}.
 */
export class Presence {
  private readonly task: PeriodicTask;
  private startedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly state: () => { busy: number; leader: boolean },
  ) {
    this.task = new PeriodicTask(
      "presence",
      options.clock,
      () => PRESENCE_INTERVAL_MS,
      () => this.beat(),
      options.logger,
    );
  }

  /**
   * Writes the first record (a failure is logged; the heartbeat goes on trying) and starts the
   * heartbeat.
   */
  async start(): Promise<void> {
    this.startedAt = this.options.clock.now();
    try {
      await this.beat();
    } catch (err) {
      this.options.logger.warn("recording this instance's presence failed; retrying with the heartbeat", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
    this.task.start(PRESENCE_INTERVAL_MS);
  }

  /** Renews the record soon (leadership changed). */
  trigger(): void {
    this.task.trigger();
  }

  /** Stops the heartbeat and removes the record, giving up at `deadline` (epoch ms, real time). */
  async stop(deadline: number): Promise<void> {
    await settleBy(this.task.stop(), deadline);
    await settleBy(
      this.store.removeInstance(this.options.distributed.instanceId).catch(() => false),
      deadline,
    );
  }

  private async beat(): Promise<void> {
    const now = this.options.clock.now();
    const { busy, leader } = this.state();
    await this.store.saveInstance({
      id: this.options.distributed.instanceId,
      host: hostname(),
      pid: process.pid,
      version: CORE_VERSION,
      queues: this.options.queues === null ? null : [...this.options.queues],
      workers: this.options.workers,
      busy,
      leader,
      distributed: this.options.distributed.enabled,
      startedAt: new Date(this.startedAt),
      lastSeenAt: new Date(now),
      expiresAt: new Date(now + PRESENCE_TTL_MS),
    });
  }
}
