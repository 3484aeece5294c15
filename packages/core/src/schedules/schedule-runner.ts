import type { ResolvedOptions } from "../config/options.js";
import type { Schedule } from "../cron/schedule.js";
import { toError } from "../errors.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import type { MiddlewareMembers } from "../middleware/middleware-members.js";
import type { NewJobRecord, ScheduleRecord, Store } from "../store/store.js";
import { PeriodicTask } from "../time/periodic-task.js";
import { WarmUp } from "../time/warm-up.js";
import { writeBufferedTick } from "./buffered-tick.js";
import { compileSchedule, definitionKey, planTick } from "./definition.js";
import { tickJitter } from "./jitter.js";
import { activeTickJobs, decideOverlap } from "./overlap.js";
import { controlsOf } from "./schedule-controls.js";
import { TICK_METADATA, templateMetadata } from "./tick-metadata.js";

export { TICK_METADATA } from "./tick-metadata.js";

/**
 * Turns due schedules into jobs while this instance leads. Each firing is one compare-and-set on
 * the stored schedule together with the enqueue of its jobs (`Store.fireScheduleTick`), so a tick
 * fires exactly once even if two instances briefly both believe they lead (docs/architecture.md §4).
 * Sleeps until the earliest next run (pinging the store just before it, see {@link WarmUp}), and
 * re-reads the store every `pollInterval` to see schedules that other instances added or changed.
 */
export class ScheduleRunner {
  private readonly task: PeriodicTask;
  /** The ping just before the earliest next run, so that its firing finds the server awake. */
  private readonly warmUp: WarmUp;
  private readonly compiled = new Map<string, { key: string; schedule: Schedule }>();
  /** Stored schedules this instance has no handler for, already warned about. */
  private readonly warnedUndefined = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly hooks: HookRunner,
    private readonly members: MiddlewareMembers,
    private readonly isLeader: () => boolean,
    private readonly onJobsEnqueued: () => void,
    /** Whether this instance has a handler for a schedule's jobs. */
    private readonly hasHandler: (name: string) => boolean,
    /**
     * Called before the tick middleware runs, with a tick's jobs: returns the check, run before
     * the insert, of what the middleware changed (metadata by the caller's rules; nothing else).
     */
    private readonly guardMiddlewareChanges: (jobs: NewJobRecord[]) => () => void = () => () => {},
    /** Cancels an earlier tick's job (overlap `cancelOther`), aborting it here if it runs here. */
    private readonly cancelJob: (id: string, now: Date) => Promise<void> = async (id, now) => {
      await store.cancelJob(id, now);
    },
  ) {
    this.task = new PeriodicTask(
      "firing schedules",
      options.clock,
      () => options.pollInterval,
      () => this.fireDue(),
      options.logger,
    );
    this.warmUp = new WarmUp(options.clock, async () => {
      if (this.isLeader()) await store.ping();
    });
  }

  /** Starts firing. */
  start(): void {
    this.task.start();
  }

  /** Re-reads schedules now (after a change, or on gaining leadership). */
  trigger(): void {
    this.task.trigger();
  }

  /** Stops firing and waits for a firing (and a ping before one) in progress. */
  async stop(): Promise<void> {
    await this.task.stop();
    this.warmUp.clear();
    await this.warmUp.pending;
  }

  /** The compiled schedule of a record, cached by definition. */
  scheduleOf(record: ScheduleRecord): Schedule {
    const key = definitionKey(record.definition);
    const cached = this.compiled.get(record.name);
    if (cached && cached.key === key) return cached.schedule;
    const schedule = compileSchedule(record.definition);
    this.compiled.set(record.name, { key, schedule });
    return schedule;
  }

  /**
   * Fires every due schedule once; returns ms until the earliest next run, and arms the ping
   * before it when the task will wake for it (sooner than `pollInterval`).
   */
  private async fireDue(): Promise<number | undefined> {
    this.warmUp.clear();
    const wait = await this.fireDueSchedules();
    if (wait !== undefined && wait < this.options.pollInterval) this.warmUp.before(wait);
    return wait;
  }

  private async fireDueSchedules(): Promise<number | undefined> {
    if (!this.isLeader()) return undefined;
    const { clock } = this.options;
    const records = await this.store.listSchedules();
    let earliest = Number.POSITIVE_INFINITY;
    for (const record of records) {
      if (!this.isLeader()) return undefined;
      const controls = controlsOf(record.definition);
      // A paused schedule has no next run (and fires nothing: see ScheduleSteering).
      if (controls.paused) continue;
      if (controls.buffered !== null) {
        try {
          await this.releaseBuffered(record, controls.buffered);
        } catch (err) {
          this.options.logger.error("enqueuing a buffered schedule tick failed; it will be tried again", {
            schedule: record.name,
            error: toError(err).message,
          });
        }
      }
      if (!record.nextRunAt) continue;
      const now = clock.now();
      if (record.nextRunAt.getTime() > now) {
        earliest = Math.min(earliest, record.nextRunAt.getTime());
        continue;
      }
      try {
        const next = await this.fire(record, now);
        if (next) earliest = Math.min(earliest, next.getTime());
      } catch (err) {
        this.options.logger.error("firing a schedule failed; it will be tried again", {
          schedule: record.name,
          error: toError(err).message,
        });
      }
    }
    return earliest === Number.POSITIVE_INFINITY ? undefined : Math.max(0, earliest - clock.now());
  }

  private async fire(record: ScheduleRecord, now: number): Promise<Date | null> {
    const { misfireGrace, misfireLimit } = this.options;
    if (!this.hasHandler(record.name) && !this.warnedUndefined.has(record.name)) {
      // Another instance may define it (a rolling deploy): fire it, its jobs wait for that instance.
      this.warnedUndefined.add(record.name);
      this.options.logger.warn(
        `schedule "${record.name}" is stored but not defined here; its ticks wait for an instance that defines it (unschedule("${record.name}") removes it)`,
        { schedule: record.name },
      );
    }
    const plan = planTick(record, this.scheduleOf(record), now, { grace: misfireGrace, limit: misfireLimit });
    const template = record.definition.job;
    const controls = controlsOf(record.definition);
    let ticks = plan.ticks;
    let nextRunAt = plan.nextRunAt;
    let buffer: Date | null = null;
    if (controls.overlap !== "allow" && ticks.length > 0) {
      // Only the leader makes tick jobs, and it fires one schedule at a time, so this read sees
      // every tick job there is. What can change before the insert below is only that one of them
      // becomes final meanwhile: then a tick is held back (skip, bufferOne) that could have run,
      // the safe side. Two instances that briefly both lead read the same jobs and decide the
      // same; fireScheduleTick lets only one of them enqueue.
      const active = await activeTickJobs(this.store, record.name, template.queue);
      const decision = decideOverlap(controls.overlap, ticks, active, controls.buffered !== null);
      ticks = decision.ticks;
      buffer = decision.buffer;
      // Cancelled before the new job is inserted, so that a uniqueKey of the template is free
      // for it. Should this firing then lose its compare-and-set (another leader fired the tick,
      // or the schedule was paused meanwhile), the winner cancelled or would have cancelled the
      // same jobs.
      for (const job of decision.cancel) await this.cancelJob(job.id, new Date(now));
      if (ticks.length < plan.ticks.length) {
        // Ticks held back make no job and do not count as occurrences; the plan moves past them.
        // A buffered tick counts toward maxOccurrences now (its job runs later), and in
        // `occurrences` once released (see writeBufferedTick).
        const max = record.definition.maxOccurrences;
        const counted = ticks.length + (buffer === null ? 0 : 1);
        nextRunAt = max !== null && record.occurrences + counted >= max ? null : plan.following;
        this.options.logger.info(
          buffer === null
            ? "a schedule tick was held back by its overlap policy"
            : "a schedule tick is buffered until the running one is final",
          {
            schedule: record.name,
            overlap: controls.overlap,
            tick: plan.ticks[plan.ticks.length - 1]?.toISOString(),
          },
        );
      }
    }
    const jobs = ticks.map((tick) => this.tickJob(record, tick, now));
    const recheck = this.members.wrapsTick ? this.guardMiddlewareChanges(jobs) : null;
    const fire = () => {
      recheck?.();
      return this.store.fireScheduleTick({
        name: record.name,
        expectedNextRunAt: record.nextRunAt!,
        nextRunAt,
        firedAt: new Date(now),
        jobs,
        // The jobs are made from this definition: a replacement stored since must not fire as it.
        expectedDefinition: { definedAt: record.definedAt, definedBy: record.definedBy },
      });
    };
    const result = this.members.wrapsTick
      ? await this.members.tick({ schedule: record.name, queue: template.queue, jobs }, fire)
      : await fire();
    if (!result.fired) {
      // The record changed since it was read (another leader fired the tick, or the schedule was
      // redefined or paused): its stored next run is when to look again, at once when it is due,
      // rather than a whole pollInterval later.
      const stored = await this.store.getSchedule(record.name);
      if (stored === null || controlsOf(stored.definition).paused) return null;
      // Nothing changed, yet the firing lost (a store that failed its compare-and-set): not at
      // once again, which would loop on the store; the next pass is a pollInterval away.
      const unchanged =
        stored.nextRunAt?.getTime() === record.nextRunAt?.getTime() &&
        stored.definedAt.getTime() === record.definedAt.getTime() &&
        stored.definedBy === record.definedBy;
      return unchanged ? null : stored.nextRunAt;
    }
    if (plan.ticks.length === 0) {
      this.options.logger.info("skipped missed schedule ticks (misfire policy)", { schedule: record.name });
    }
    if (result.jobs.length > 0) {
      if (this.hooks.has("onEnqueue")) for (const job of result.jobs) this.hooks.onEnqueue(job);
      this.onJobsEnqueued();
    }
    if (buffer !== null) {
      await writeBufferedTick(
        this.store,
        record.name,
        definitionKey(record.definition),
        null,
        buffer.getTime(),
        now,
      );
    }
    return nextRunAt;
  }

  /**
   * Enqueues the job of a buffered tick (overlap `bufferOne`) once none of the schedule's tick
   * jobs is active any more. The buffered tick is cleared first (a compare-and-set that counts it
   * in `occurrences`), then the job inserted: should this instance stop in between, that one run
   * is lost rather than run twice.
   * Looked at on every pass of the runner, so at least every `pollInterval`.
   */
  private async releaseBuffered(record: ScheduleRecord, tick: number): Promise<void> {
    const queue = record.definition.job.queue;
    if ((await activeTickJobs(this.store, record.name, queue)).length > 0) return;
    const now = this.options.clock.now();
    const key = definitionKey(record.definition);
    if (!(await writeBufferedTick(this.store, record.name, key, tick, null, now, true))) return;
    const jobs = await this.store.createJobs([this.tickJob(record, new Date(tick), now)]);
    if (this.hooks.has("onEnqueue")) for (const job of jobs) this.hooks.onEnqueue(job);
    this.onJobsEnqueued();
  }

  /** The job of `record`'s tick at `tick`: the template, delayed by the tick's jitter. */
  private tickJob(record: ScheduleRecord, tick: Date, now: number): NewJobRecord {
    const template = record.definition.job;
    const jitter = controlsOf(record.definition).jitter;
    const scheduledAt = new Date(tick.getTime() + tickJitter(record.name, tick.getTime(), jitter));
    return {
      id: this.options.idGenerator(),
      name: record.name,
      payload: template.payload,
      queue: template.queue,
      priority: template.priority,
      maxRetries: template.maxRetries,
      timeout: template.timeout,
      scheduledAt,
      createdAt: new Date(now),
      status: scheduledAt.getTime() > now ? "scheduled" : "pending",
      metadata: {
        ...templateMetadata(template.metadata),
        [TICK_METADATA.schedule]: record.name,
        [TICK_METADATA.tick]: tick.toISOString(),
      },
      uniqueKey: template.uniqueKey,
    };
  }
}
