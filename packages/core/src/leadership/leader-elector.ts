import type { ResolvedOptions } from "../config/options.js";
import { PeriodicTask } from "../time/periodic-task.js";
import type { Leader } from "./leader.js";

/**
 * Keeps this instance's leadership: acquires or renews the lease every `lockRefresh`. Without
 * `distributed.enabled` the instance always leads. The leader itself steps down (its
 * `isLeader()` turns false) when renewals stop succeeding, before its lease can expire.
 */
export class LeaderElector {
  private readonly task: PeriodicTask | null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly leader: Leader | undefined,
    private readonly options: ResolvedOptions,
    private readonly onGained: () => void,
  ) {
    this.task =
      options.distributed.enabled && leader
        ? new PeriodicTask(
            "leader election",
            options.clock,
            () => options.distributed.lockRefresh,
            async () => {
              await leader.acquire();
            },
            options.logger,
          )
        : null;
  }

  /** Whether this instance may fire schedules now. */
  isLeader(): boolean {
    return this.task ? (this.leader?.isLeader() ?? false) : true;
  }

  /** Tries to acquire once, then keeps renewing. */
  async start(): Promise<void> {
    if (!this.task || !this.leader) return;
    this.unsubscribe = this.leader.onLeaderChange((leads) => {
      if (leads) this.onGained();
    });
    try {
      await this.leader.acquire();
    } catch (err) {
      // A leader that cannot even start (e.g. its table is missing) fails start(); nothing keeps running.
      this.unsubscribe();
      this.unsubscribe = null;
      throw err;
    }
    this.task.start(this.options.distributed.lockRefresh);
  }

  /** Acquires or renews at once (after an outage), then every `lockRefresh`. */
  trigger(): void {
    this.task?.trigger();
  }

  /** Stops renewing and releases the lease so another instance takes over at once. */
  async stop(): Promise<void> {
    if (!this.task || !this.leader) return;
    await this.task.stop();
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.leader.release().catch(() => {});
  }
}
