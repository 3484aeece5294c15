import type { ResolvedOptions } from "../config/options.js";
import type { JobInput } from "../enqueue/job-input.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { Handler, HandlerFn } from "../jobs/handler.js";
import type { DefinitionStamp, ScheduleDefinition, ScheduleRecord, Store } from "../store/store.js";
import { readOptions } from "../validation/read-options.js";
import type { ScheduleRegistrar } from "./builder.js";
import { definitionKey, storableFirstRunAt, timingKey } from "./definition.js";
import { toScheduleDefinition } from "./definition-input.js";
import { controlsOf, type SteeredDefinition } from "./schedule-controls.js";
import type { ScheduleOptions } from "./schedule-options.js";

/** The shape of a schedule before its options are applied: what the builders pass. */
export type ScheduleShape = Pick<ScheduleDefinition, "kind" | "expression" | "every" | "anchor">;

/** Whether stamp `a` comes before `b`: an earlier `definedAt`, or the same and a smaller `definedBy`. */
export function stampBefore(a: DefinitionStamp, b: DefinitionStamp): boolean {
  const at = a.definedAt.getTime() - b.definedAt.getTime();
  if (at !== 0) return at < 0;
  return (a.definedBy ?? "") < (b.definedBy ?? "");
}

/** The definition stamp of a stored schedule. */
function stampOf(record: ScheduleRecord): DefinitionStamp {
  return { definedAt: record.definedAt, definedBy: record.definedBy };
}

/**
 * Defines this instance's schedules in the store, and keeps their definitions: to restore them when
 * the store lost its state, and to notice when another instance's definition is the stored one.
 *
 * One name, one definition: the latest definition wins, judged by when each instance defined it
 * (`definedAt`, then the instance id), whatever the order in which concurrent writes land. Each
 * write is a compare-and-set on the stored definition, so two instances can never both believe
 * their definition is stored; an instance whose definition lost logs a warning and follows the
 * stored one (the leader fires the stored definition; every instance runs its ticks with its own
 * handler of that name).
 */
export class ScheduleDefiner implements ScheduleRegistrar {
  /** The definitions this instance made, by name. */
  private readonly local = new Map<string, ScheduleDefinition>();
  /** The names already warned about since this instance last defined them. */
  private readonly warned = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly registry: HandlerRegistry,
    private readonly input: JobInput,
    private readonly onChange: () => void,
  ) {}

  /**
   * Validates a schedule, registers its handler and writes it unless the same definition is stored
   * (then the stored record, its state included, is kept). Returns the stored record.
   *
   * @throws InvalidScheduleError (`INVALID_SCHEDULE`) for a bad expression, time zone or option,
   *   or a first run outside the years 1 to 9999 (UTC); InvalidArgumentError (`INVALID_ARGUMENT`) for a bad name or job option.
   */
  async define(
    name: string,
    shape: ScheduleShape,
    handler: HandlerFn | Handler,
    given: ScheduleOptions,
  ): Promise<ScheduleRecord> {
    const options = readOptions(given, "options");
    const valid = this.input.name(name, "name");
    const definition = toScheduleDefinition(valid, shape, options, this.input, this.options.misfire);
    // Refused before the handler is registered: a bad expression, or a first run no store keeps.
    storableFirstRunAt(definition, this.options.clock.now());
    this.registry.register(valid, handler);
    this.local.set(valid, definition);
    this.warned.delete(valid);
    const record = await this.write(valid, definition);
    this.onChange();
    return record;
  }

  /** The current time of the scheduler's clock, in ms (the anchor of interval schedules). */
  now(): number {
    return this.options.clock.now();
  }

  /**
   * Writes every schedule this instance defined that the store does not hold (after the store lost
   * its state). Returns the names written.
   */
  async restore(): Promise<string[]> {
    const restored: string[] = [];
    for (const [name, definition] of this.local) {
      const record = this.newRecord(name, definition, null);
      if (await this.store.saveSchedule(record, { onlyIfAbsent: true })) restored.push(name);
    }
    if (restored.length > 0) this.onChange();
    return restored;
  }

  /**
   * Compares the stored definitions of this instance's schedules with its own, and warns once per
   * name whose stored definition differs (another instance defined the name later); defining the
   * name again resets that.
   */
  async check(): Promise<void> {
    for (const [name, definition] of this.local) {
      const stored = await this.store.getSchedule(name);
      if (stored !== null) this.warnIfOther(name, definition, stored);
    }
  }

  private async write(name: string, definition: ScheduleDefinition): Promise<ScheduleRecord> {
    const key = definitionKey(definition);
    for (;;) {
      const existing = await this.store.getSchedule(name);
      // The same definition, e.g. on a restart: keep its state, so it continues where it stopped.
      if (existing !== null && definitionKey(existing.definition) === key) return existing;
      const record = this.newRecord(name, definition, existing);
      if (existing === null) {
        // Created only if absent: instances starting together must not overwrite each other's
        // record after the leader fired its first tick (that would fire a tick twice).
        if (await this.store.saveSchedule(record, { onlyIfAbsent: true })) return record;
        continue;
      }
      // This instance's own earlier write is superseded by its later call, even within the same ms
      // (or after a pause or resume advanced the stored stamp).
      if (existing.definedBy !== record.definedBy && !stampBefore(stampOf(existing), stampOf(record))) {
        this.warnIfOther(name, definition, existing);
        return existing;
      }
      // The stored next run too: the record keeps it or follows it, so a tick fired since the read
      // must fail this write (the next read computes from the advanced one), not be put back.
      const written = await this.store.saveSchedule(record, {
        expectDefinition: stampOf(existing),
        expectNextRunAt: existing.nextRunAt,
      });
      if (written) return record;
      // Another instance wrote meanwhile: read again and decide again.
    }
  }

  private newRecord(
    name: string,
    definition: ScheduleDefinition,
    existing: ScheduleRecord | null,
  ): ScheduleRecord {
    const now = this.options.clock.now();
    const definedBy = this.options.distributed.instanceId;
    // A new definition keeps the stored paused state: pausing is an operator's decision that a
    // restart or a deploy with a changed definition must not undo.
    const paused = existing !== null && controlsOf(existing.definition).paused;
    // Stamps of one instance only move forward, so its later write is told apart from its earlier one.
    const definedAt =
      existing !== null && existing.definedBy === definedBy
        ? Math.max(now, existing.definedAt.getTime() + 1)
        : now;
    // Checked paused or not: resuming must not find a schedule that cannot run.
    const first = storableFirstRunAt(definition, now);
    // The same timing with another template or policy keeps the stored state: the next run, so
    // that a tick that fell due before this write and that the leader has not fired yet fires
    // with the new template (the next run computed from now would be past it); the count of
    // occurrences, which `maxOccurrences` goes by; and an end (a schedule that ended stays ended,
    // as a paused one stays paused).
    const sameTiming = existing !== null && timingKey(existing.definition) === timingKey(definition);
    return {
      name,
      definition: { ...definition, paused } as SteeredDefinition,
      nextRunAt: paused ? null : sameTiming ? existing.nextRunAt : first,
      lastRunAt: existing?.lastRunAt ?? null,
      occurrences: sameTiming ? existing.occurrences : 0,
      createdAt: existing?.createdAt ?? new Date(now),
      updatedAt: new Date(now),
      definedAt: new Date(definedAt),
      definedBy,
    };
  }

  private warnIfOther(name: string, definition: ScheduleDefinition, stored: ScheduleRecord): void {
    if (definitionKey(stored.definition) === definitionKey(definition) || this.warned.has(name)) return;
    this.warned.add(name);
    this.options.logger.warn(
      `schedule "${name}" is stored with another definition, defined later by ${stored.definedBy ?? "another instance"}; this instance follows the stored one`,
      { schedule: name, definedAt: stored.definedAt.toISOString(), definedBy: stored.definedBy },
    );
  }
}
