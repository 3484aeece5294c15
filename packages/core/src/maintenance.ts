import type { HookRunner } from "./hooks.js";
import type { ResolvedOptions } from "./options.js";
import { PeriodicTask } from "./periodic-task.js";
import type { Store } from "./store.js";

/** Most expired leases recovered in one store call. */
const RECOVER_BATCH = 1000;

/**
 * Background upkeep: returns jobs whose lease expired (their process died) to the queue, on every
 * instance; and, on the leader, purges completed, dead and cancelled jobs past their retention.
 */
export class Maintenance {
  private readonly recovery: PeriodicTask;
  private readonly cleanup: PeriodicTask;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly hooks: HookRunner,
    private readonly isLeader: () => boolean,
    private readonly onRecovered: () => void,
  ) {
    this.recovery = new PeriodicTask(
      "recovering expired leases",
      options.clock,
      () => options.distributed.lockRefresh,
      () => this.recover(),
      options.logger,
    );
    this.cleanup = new PeriodicTask(
      "cleaning up old jobs",
      options.clock,
      () => options.cleanupInterval,
      () => this.purge(),
      options.logger,
    );
  }

  /** Starts both tasks. */
  start(): void {
    this.recovery.start(0);
    this.cleanup.start(this.options.cleanupInterval);
  }

  /** Stops both tasks. */
  async stop(): Promise<void> {
    await Promise.all([this.recovery.stop(), this.cleanup.stop()]);
  }

  private async recover(): Promise<number | undefined> {
    const ids = await this.store.recoverExpiredLeases(new Date(this.options.clock.now()), RECOVER_BATCH);
    if (ids.length === 0) return undefined;
    this.options.logger.warn(`recovered ${ids.length} job(s) whose lease expired`, { count: ids.length });
    if (this.hooks.has("onRecover")) this.hooks.onRecover(ids.length);
    this.onRecovered();
    // A full batch may mean more are waiting: go again at once.
    return ids.length === RECOVER_BATCH ? 0 : undefined;
  }

  private async purge(): Promise<void> {
    if (!this.isLeader()) return;
    const { clock, completedRetention, deadLetter } = this.options;
    const now = clock.now();
    const removed = await this.store.cleanup({
      completedBefore: new Date(now - completedRetention),
      deadBefore: new Date(now - (deadLetter.enabled ? deadLetter.retention : 0)),
      cancelledBefore: new Date(now - completedRetention),
    });
    if (removed > 0) this.options.logger.debug(`removed ${removed} finished job(s) past retention`);
  }
}
