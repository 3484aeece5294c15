import type { ResolvedOptions } from "../config/options.js";
import { assertStorableTime, type JobInput } from "../enqueue/job-input.js";
import { InvalidArgumentError, ScheduleNotFoundError } from "../errors.js";
import type { Job } from "../jobs/job.js";
import type { NewJobRecord, ScheduleRecord, Store } from "../store/store.js";
import { dateMs } from "../validation/dates.js";
import { assertKnownFields } from "../validation/option-names.js";
import { readOptions } from "../validation/read-options.js";
import { describeValue } from "../validation/text.js";
import { compileSchedule } from "./definition.js";
import { MAX_BACKFILL, MAX_PREVIEW, previewRuns, resumedNextRunAt, runsBetween } from "./run-plan.js";
import {
  controlsOf,
  type ScheduleState,
  type SteeredDefinition,
  scheduleState,
} from "./schedule-controls.js";
import { TICK_METADATA, templateMetadata } from "./tick-metadata.js";

/** The range of {@link ScheduleSteering.backfill}: the run times in `[from, to)`. */
export interface BackfillRange {
  /** The first instant of the range (included). */
  from: Date;
  /** The end of the range (excluded); not after now. */
  to: Date;
}

/**
 * Steers stored schedules from any instance: pause, resume, trigger, preview, backfill. Every
 * change is written to the store, so every instance and the next leader agree.
 *
 * Pause and resume rewrite the stored record with a compare-and-set on its definition stamp
 * (`saveSchedule` with `expectDefinition`), advancing `definedAt` by 1 ms so that of concurrent
 * writers that read the same record (another pause or resume, a `schedule()` re-defining it) exactly
 * one succeeds and the others read again: no writer's change is lost.
 */
export class ScheduleSteering {
  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly input: JobInput,
    /** Enqueues jobs as `enqueueMany` does (hooks, middleware, wake-up). */
    private readonly insert: (records: NewJobRecord[]) => Promise<Job[]>,
    /** Called after a change the leader should see at once. */
    private readonly onChange: () => void,
  ) {}

  /** The stored schedule with its state, or `null`. */
  async get(name: string): Promise<ScheduleState | null> {
    const record = await this.store.getSchedule(this.input.name(name, "name"));
    return record === null ? null : scheduleState(record);
  }

  /** Every stored schedule with its state, ordered by name. */
  async list(): Promise<ScheduleState[]> {
    return (await this.store.listSchedules()).map(scheduleState);
  }

  /** Pauses a schedule (see `Scheduler.pauseSchedule`). */
  pause(name: string): Promise<ScheduleState> {
    return this.setPaused(name, true);
  }

  /** Resumes a schedule (see `Scheduler.resumeSchedule`). */
  resume(name: string): Promise<ScheduleState> {
    return this.setPaused(name, false);
  }

  /** Enqueues one extra run now (see `Scheduler.triggerSchedule`). */
  async trigger(name: string): Promise<Job> {
    const record = await this.require(name);
    const now = this.options.clock.now();
    const [job] = await this.insert([this.jobOf(record, new Date(now), now, "trigger")]);
    return job as Job;
  }

  /** The next `count` planned run times (see `Scheduler.previewSchedule`). */
  async preview(name: string, count: number): Promise<Date[]> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW) {
      throw new InvalidArgumentError(
        "count",
        `expected an integer from 1 to ${MAX_PREVIEW}, got ${describeValue(count)}`,
      );
    }
    const record = await this.require(name);
    return previewRuns(record, compileSchedule(record.definition), this.options.clock.now(), count);
  }

  /** Enqueues the runs planned in `[from, to)` (see `Scheduler.backfillSchedule`). */
  async backfill(name: string, given: BackfillRange): Promise<Job[]> {
    const range = readOptions(given, "range");
    if (typeof range !== "object" || range === null) {
      throw new InvalidArgumentError("range", "expected { from: Date, to: Date }");
    }
    assertKnownFields(range, ["from", "to"], "range");
    const from = validDate(range.from, "range.from");
    const to = validDate(range.to, "range.to");
    const now = this.options.clock.now();
    if (from >= to) {
      throw new InvalidArgumentError(
        "range.to",
        `must be after range.from (${new Date(from).toISOString()}), got ${new Date(to).toISOString()}`,
      );
    }
    if (to > now) {
      throw new InvalidArgumentError(
        "range.to",
        `a backfill covers runs that fell in the past: must not be after now (${new Date(now).toISOString()}), got ${new Date(to).toISOString()}`,
      );
    }
    const record = await this.require(name);
    const runs = runsBetween(record, compileSchedule(record.definition), from, to, MAX_BACKFILL);
    if (runs === null) {
      throw new InvalidArgumentError(
        "range",
        `more than ${MAX_BACKFILL} runs of schedule "${record.name}" fall in [${new Date(from).toISOString()}, ${new Date(to).toISOString()}); backfill a shorter range at a time`,
      );
    }
    if (runs.length === 0) return [];
    return this.insert(runs.map((run) => this.jobOf(record, run, now, "backfill")));
  }

  /** The stored schedule, or ScheduleNotFoundError. */
  private async require(name: string): Promise<ScheduleRecord> {
    const valid = this.input.name(name, "name");
    const record = await this.store.getSchedule(valid);
    if (record === null) throw new ScheduleNotFoundError(valid);
    return record;
  }

  /**
   * A job of the schedule's template outside its plan, standing for the run at `run`. A
   * triggered job keeps the template's `uniqueKey` (it is one more run of the same work); a
   * backfill makes many runs at once, so its jobs have none.
   */
  private jobOf(
    record: ScheduleRecord,
    run: Date,
    now: number,
    origin: "trigger" | "backfill",
  ): NewJobRecord {
    const template = record.definition.job;
    return {
      id: this.options.idGenerator(),
      name: record.name,
      payload: template.payload,
      queue: template.queue,
      priority: template.priority,
      maxRetries: template.maxRetries,
      timeout: template.timeout,
      // The run time the job stands for: a handler reading `scheduledAt` as its logical date
      // handles a backfilled run as it would have handled the tick.
      scheduledAt: run,
      createdAt: new Date(now),
      status: "pending",
      metadata: {
        ...templateMetadata(template.metadata),
        [TICK_METADATA.schedule]: record.name,
        [TICK_METADATA.tick]: run.toISOString(),
        [TICK_METADATA.origin]: origin,
      },
      uniqueKey: origin === "trigger" ? template.uniqueKey : null,
    };
  }

  /**
   * Writes the paused flag with a compare-and-set on the definition stamp, reading again whenever
   * another writer came first. A paused schedule's `nextRunAt` is `null`, so a leader that read
   * the record before the pause cannot fire it any more (its `fireScheduleTick` expects the old
   * `nextRunAt`); resuming plans the next run from now.
   *
   * A race this cannot close without a store primitive: a tick that the leader fires between this
   * read and this write (within milliseconds) has enqueued its job, but the write puts back the
   * `occurrences` and `lastRunAt` read before it, so that tick is not counted.
   */
  private async setPaused(name: string, paused: boolean): Promise<ScheduleState> {
    for (;;) {
      const existing = await this.require(name);
      if (controlsOf(existing.definition).paused === paused) return scheduleState(existing);
      const now = this.options.clock.now();
      const definition: SteeredDefinition = { ...existing.definition, paused };
      const record: ScheduleRecord = {
        ...existing,
        definition,
        nextRunAt: paused ? null : resumedNextRunAt(existing, compileSchedule(definition), now),
        updatedAt: new Date(now),
        // The stamp the compare-and-set checks must change, or two writers that read the same
        // record would both succeed; 1 ms keeps it close to when the definition was written.
        definedAt: new Date(existing.definedAt.getTime() + 1),
      };
      const written = await this.store.saveSchedule(record, {
        expectDefinition: { definedAt: existing.definedAt, definedBy: existing.definedBy },
      });
      if (written) {
        this.options.logger.info(paused ? "schedule paused" : "schedule resumed", {
          schedule: record.name,
          nextRunAt: record.nextRunAt?.toISOString() ?? null,
        });
        if (!paused) this.onChange();
        return scheduleState(record);
      }
    }
  }
}

/** The epoch ms of a valid Date in the years 1 to 9999 (UTC), or InvalidArgumentError naming `field`. */
function validDate(value: unknown, field: string): number {
  const ms = dateMs(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(field, `expected a valid Date, got ${describeValue(value)}`);
  }
  assertStorableTime(ms, field);
  return ms;
}
