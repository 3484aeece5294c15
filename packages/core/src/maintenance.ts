import { SchedulerError } from "./errors.js";
import type { HandlerRegistry } from "./handler-registry.js";
import type { HookRunner } from "./hooks.js";
import type { ResolvedOptions } from "./options.js";
import { PeriodicTask } from "./periodic-task.js";
import type { Store } from "./store.js";
import { deadLetterOptions } from "./worker/dead-letters.js";
import type { UnhandledNames } from "./worker/unhandled-names.js";

/** Most expired leases recovered in one store call. */
const RECOVER_BATCH = 1000;

/** The history entry of a lost lease (and the error of a job that died of lost leases alone). */
export const LEASE_EXPIRED_ERROR = "lease expired (the process running the job stopped)";

/**
 * Background upkeep: on every instance, returns jobs whose lease expired (their process died) to
 * the queue, or makes them dead when they have lost too many leases, and looks for waiting jobs
 * of names without a handler here; on the leader, purges completed, dead and cancelled jobs past
 * their retention.
 */
export class Maintenance {
  private readonly recovery: PeriodicTask;
  private readonly cleanup: PeriodicTask;
  private readonly namesCheck: PeriodicTask;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: HookRunner,
    private readonly unhandled: UnhandledNames,
    private readonly isLeader: () => boolean,
    private readonly onRecovered: () => void,
  ) {
    const { clock, logger, distributed, cleanupInterval } = options;
    this.recovery = new PeriodicTask(
      "recovering expired leases",
      clock,
      () => distributed.lockRefresh,
      () => this.recover(),
      logger,
    );
    this.cleanup = new PeriodicTask(
      "cleaning up old jobs",
      clock,
      () => cleanupInterval,
      () => this.purge(),
      logger,
    );
    this.namesCheck = new PeriodicTask(
      "looking for job names without a handler",
      clock,
      () => distributed.lockRefresh,
      () => unhandled.check(),
      logger,
    );
  }

  /** Starts every task. */
  start(): void {
    this.recovery.start(0);
    this.cleanup.start(this.options.cleanupInterval);
    this.namesCheck.start(this.options.distributed.lockRefresh);
  }

  /** Stops every task and waits for runs in progress. */
  async stop(): Promise<void> {
    await Promise.all([this.recovery.stop(), this.cleanup.stop(), this.namesCheck.stop()]);
  }

  private async recover(): Promise<number | undefined> {
    const { clock, logger, maxLeaseRecoveries } = this.options;
    const { recovered, dead } = await this.store.recoverExpiredLeases({
      now: new Date(clock.now()),
      limit: RECOVER_BATCH,
      maxLostLeases: maxLeaseRecoveries,
      error: LEASE_EXPIRED_ERROR,
      deadLetter: deadLetterOptions(this.options, this.handlers),
    });
    const count = recovered.length + dead.length;
    if (count === 0) return undefined;
    if (recovered.length > 0) {
      logger.warn(`recovered ${recovered.length} job(s) whose lease expired`, { count: recovered.length });
      if (this.hooks.has("onRecover")) this.hooks.onRecover(recovered.length);
      this.onRecovered();
    }
    for (const job of dead) {
      logger.warn(`job is dead: its lease expired ${job.lostLeases} times (the process running it stopped)`, {
        jobId: job.id,
        name: job.name,
        queue: job.queue,
      });
      if (this.hooks.has("onDead")) {
        const err = new SchedulerError(
          "LEASE_EXPIRED",
          `the job's lease expired ${job.lostLeases} times (the process running it stopped)`,
        );
        this.hooks.onDead(job, err);
      }
    }
    if (dead.length > 0) this.onRecovered();
    // A full batch may mean more are waiting: go again at once.
    return count === RECOVER_BATCH ? 0 : undefined;
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
