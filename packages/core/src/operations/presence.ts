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
/** A heartbeat this far (ms) ahead of this instance's clock tells a clock that is ahead. */
export const CLOCK_AHEAD_TOLERANCE_MS = 2_000;
/** How often (ms) the same instance's clock is warned about again. */
const CLOCK_WARNING_INTERVAL_MS = 3_600_000;

/**
 * Keeps this instance's presence record in the store (`Store.saveInstance`) while the scheduler
 * runs: written at start, renewed every {@link PRESENCE_INTERVAL_MS}, removed on stop. A process
 * that dies leaves a record that expires after {@link PRESENCE_TTL_MS}.
 */
export class Presence {
  private readonly task: PeriodicTask;
  private startedAt = 0;
  /** When (clock ms) each instance's clock was last warned about. */
  private readonly warnedAhead = new Map<string, number>();

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
    await this.checkClocks(now);
  }

  /**
   * Warns when another instance's last heartbeat is ahead of this instance's clock by more than
   * {@link CLOCK_AHEAD_TOLERANCE_MS}: its clock is ahead at least that much. Leases are written and
   * judged by the instances' clocks, so an instance ahead by more than `lockTTL - lockRefresh`
   * takes over jobs still running elsewhere (they run twice), and one whose clock is behind writes
   * leases that others find expired. Of two instances, the one behind sees the other's heartbeat
   * ahead: every pair that disagrees is reported by one side.
   */
  private async checkClocks(now: number): Promise<void> {
    const { distributed, logger } = this.options;
    for (const other of await this.store.listInstances(new Date(now))) {
      const ahead = other.lastSeenAt.getTime() - now;
      if (other.id === distributed.instanceId || ahead <= CLOCK_AHEAD_TOLERANCE_MS) continue;
      const warned = this.warnedAhead.get(other.id);
      if (warned !== undefined && now - warned < CLOCK_WARNING_INTERVAL_MS) continue;
      this.warnedAhead.set(other.id, now);
      logger.warn(
        `the clock of instance ${other.id} is at least ${Math.floor(ahead / 1000)} s ahead of this one's: leases are judged by the instances' clocks, and a clock ${Math.floor((distributed.lockTTL - distributed.lockRefresh) / 1000)} s (lockTTL - lockRefresh) or more ahead takes over jobs still running elsewhere, which then run twice; keep the clocks in sync (NTP)`,
        { instance: other.id, host: other.host, aheadMs: ahead },
      );
    }
  }
}
