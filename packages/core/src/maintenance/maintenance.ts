import type { ResolvedOptions } from "../config/options.js";
import { storableDate } from "../enqueue/job-input.js";
import { SchedulerError, StoreStateLostError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import type { ScheduleDefiner } from "../schedules/schedule-definer.js";
import type { Store } from "../store/store.js";
import { PeriodicTask } from "../time/periodic-task.js";
import { deadLetterOptions, insertedDeadLetter } from "../worker/dead-letters.js";
import type { UnhandledNames } from "../worker/unhandled-names.js";

/** Most expired leases recovered in one store call. */
const RECOVER_BATCH = 1000;

/** The history entry of a lost lease (and the error of a job that died of lost leases alone). */
export const LEASE_EXPIRED_ERROR =
  "lease expired (the instance running the job stopped, stalled or could not reach the store)";

/** The longest a recovery waits for this instance's own outcomes to be recorded (ms). */
const SETTLE_BEFORE_RECOVERY_MS = 1_000;

/** How long `healthCheck()` reports a loss of the store's data after it was noticed (ms). */
export const STATE_LOSS_REPORTED_FOR = 5 * 60_000;

/**
 * Background upkeep: on every instance, returns jobs whose lease expired (their process died) to
 * the queue, or makes them dead when they have lost too many leases; looks for waiting jobs of
 * names without a handler here; and watches the store's data: a new `epoch` means the backend lost
 * it (reported as an error, and this instance's schedules are restored at once), and a stored
 * schedule defined differently by another instance is reported. On the leader, purges completed,
 * dead and cancelled jobs past their retention.
 */
export class Maintenance {
  private readonly recovery: PeriodicTask;
  private readonly cleanup: PeriodicTask;
  private readonly namesCheck: PeriodicTask;
  private readonly stateCheck: PeriodicTask;
  /** The store's epoch as last seen, `null` before the first look. */
  private epoch: string | null = null;
  /** When a loss of the store's data was last noticed (clock ms), or `null`. */
  private lostAt: number | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
    private readonly hooks: HookRunner,
    private readonly unhandled: UnhandledNames,
    private readonly definer: ScheduleDefiner,
    private readonly isLeader: () => boolean,
    private readonly onRecovered: () => void,
    /**
     * Waits (at most the ms given) for this instance's own outcomes to be recorded before a
     * recovery: after an outage, its finished attempts are recorded rather than recovered as lost.
     */
    private readonly settleOwnOutcomes: (waitMs: number) => Promise<void> = async () => {},
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
    this.stateCheck = new PeriodicTask(
      "checking the store's data",
      clock,
      () => distributed.lockRefresh,
      () => this.checkState(),
      logger,
    );
  }

  /**
   * The loss of the store's data noticed within the last {@link STATE_LOSS_REPORTED_FOR}, as the
   * error `healthCheck()` reports, or `null`.
   */
  stateLoss(): StoreStateLostError | null {
    if (this.lostAt === null || this.options.clock.now() - this.lostAt > STATE_LOSS_REPORTED_FOR) return null;
    return new StoreStateLostError(new Date(this.lostAt));
  }

  /** Runs the recovery and the data check at once (the store's connection is back after an outage). */
  trigger(): void {
    this.recovery.trigger();
    this.stateCheck.trigger();
  }

  /** Starts every task. */
  start(): void {
    this.recovery.start(0);
    this.cleanup.start(this.options.cleanupInterval);
    this.namesCheck.start(this.options.distributed.lockRefresh);
    this.stateCheck.start(0);
  }

  /** Stops every task and waits for runs in progress. */
  async stop(): Promise<void> {
    await Promise.all([
      this.recovery.stop(),
      this.cleanup.stop(),
      this.namesCheck.stop(),
      this.stateCheck.stop(),
    ]);
  }

  private async checkState(): Promise<void> {
    const epoch = await this.store.epoch();
    const known = this.epoch;
    this.epoch = epoch;
    if (known === null || known === epoch) {
      await this.definer.check();
      return;
    }
    const { clock, logger } = this.options;
    this.lostAt = clock.now();
    logger.error(
      "the store lost its data (its epoch changed: emptied or recreated tables, a restart without persistence, a flush, or a failover to an empty replica): jobs stored before are gone; restoring the schedules this instance defines",
      { previousEpoch: known, epoch },
    );
    const restored = await this.definer.restore();
    if (restored.length > 0)
      logger.warn(`restored ${restored.length} schedule(s) after the store lost its data`, {
        schedules: restored,
      });
  }

  private async recover(): Promise<number | undefined> {
    const { clock, logger, maxLeaseRecoveries } = this.options;
    // An attempt that ended here while the store was out waits for its record (a completion or
    // a failure being retried): recovering its lease first would run it again.
    await this.settleOwnOutcomes(SETTLE_BEFORE_RECOVERY_MS);
    const now = new Date(clock.now());
    const deadLetter = deadLetterOptions(this.options, this.handlers);
    const { recovered, dead } = await this.store.recoverExpiredLeases({
      now,
      limit: RECOVER_BATCH,
      maxLostLeases: maxLeaseRecoveries,
      error: LEASE_EXPIRED_ERROR,
      deadLetter,
    });
    const count = recovered.length + dead.length;
    if (count === 0) return undefined;
    if (recovered.length > 0) {
      logger.warn(`recovered ${recovered.length} job(s) whose lease expired`, { count: recovered.length });
      if (this.hooks.has("onRecover")) this.hooks.onRecover(recovered.length);
      this.onRecovered();
    }
    for (const job of dead) {
      logger.warn(
        `job is dead: its lease expired ${job.lostLeases} times (the instance running it stopped, stalled or could not reach the store)`,
        {
          jobId: job.id,
          name: job.name,
          queue: job.queue,
        },
      );
      if (this.hooks.has("onDead")) {
        const err = new SchedulerError(
          "LEASE_EXPIRED",
          `the job's lease expired ${job.lostLeases} times (the instance running it stopped, stalled or could not reach the store)`,
        );
        this.hooks.onDead(job, err);
      }
      const letter = this.hooks.has("onEnqueue") ? insertedDeadLetter(job, deadLetter, now) : null;
      if (letter !== null) this.hooks.onEnqueue(letter);
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
      completedBefore: storableDate(now - completedRetention),
      deadBefore: storableDate(now - (deadLetter.enabled ? deadLetter.retention : 0)),
      cancelledBefore: storableDate(now - completedRetention),
    });
    if (removed > 0) this.options.logger.debug(`removed ${removed} finished job(s) past retention`);
  }
}
