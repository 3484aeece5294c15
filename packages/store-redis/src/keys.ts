import { ConfigError } from "@sched/core";

/** The pattern a key prefix must match: it is part of every key, so nothing else is allowed in. */
export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

/** The default key prefix. */
export const DEFAULT_KEY_PREFIX = "scheduler:";

/**
 * Validates a key prefix.
 *
 * @throws ConfigError naming `keyPrefix` and the bad value.
 */
export function assertKeyPrefix(prefix: unknown): string {
  if (typeof prefix !== "string" || !KEY_PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError(
      "keyPrefix",
      `expected 1-100 characters from A-Z a-z 0-9 _ . : -, got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/**
 * The keys of one queue. They all share the hash tag `{<prefix><queue>}`, so every script that
 * changes the queue runs in one Cluster slot. The order of `scriptKeys` is the `KEYS` layout every
 * queue script expects (see `scripts/includes/queue.lua`).
 */
export class QueueKeys {
  /** `{<prefix><queue>}:`, the start of every key of the queue. */
  readonly base: string;
  /** The fixed keys of the queue, as the scripts' `KEYS[1..8]`. */
  readonly scriptKeys: readonly string[];
  /** Hash of per-status job counts. */
  readonly counts: string;
  /** Zset of running job ids scored by lease expiry. */
  readonly running: string;

  constructor(
    prefix: string,
    readonly queue: string,
  ) {
    this.base = `{${prefix}${queue}}:`;
    const key = (name: string): string => `${this.base}${name}`;
    this.running = key("running");
    this.counts = key("counts");
    this.scriptKeys = [
      key("prios"),
      this.running,
      key("completed"),
      key("dead"),
      key("cancelled"),
      key("created"),
      key("unique"),
      this.counts,
    ];
  }

  /** The hash of job `id`. */
  job(id: string): string {
    return `${this.base}job:${id}`;
  }

  /** The hash of schedule `name`, kept in the slot of the queue its ticks go to. */
  schedule(name: string): string {
    return `${this.base}schedule:${name}`;
  }
}

/** The keys of a prefix that are not tied to a queue; they share the hash tag `{<prefix>}`. */
export class PrefixKeys {
  /** Set of every queue name that has held a job. */
  readonly queues: string;
  /** Hash of schedule name → the queue whose slot holds the schedule. */
  readonly schedules: string;
  /** List of wake-up markers (queue names), popped by the blocking connection. */
  readonly wake: string;
  /** A SCAN pattern matching every key of the prefix (queue keys included). */
  readonly pattern: string;

  constructor(readonly prefix: string) {
    this.queues = `{${prefix}}:queues`;
    this.schedules = `{${prefix}}:schedules`;
    this.wake = `{${prefix}}:wake`;
    this.pattern = `{${prefix}*`;
  }
}
