import { ConfigError, describeValue } from "@sched/core/adapter";

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
      `expected 1-100 characters from A-Z a-z 0-9 _ . : -, got ${describeValue(prefix)}`,
    );
  }
  return prefix;
}

/**
 * The keys of one queue: `<prefix>{<queue>}:…`. Every key starts with the prefix (so that an ACL
 * `~<prefix>*` covers them) and carries the queue's hash tag, so every script that changes the
 * queue runs in one Cluster slot. The order of `scriptKeys` is the `KEYS` layout every queue
 * script expects (see `scripts/includes/queue.lua`).
 */
export class QueueKeys {
  /** `<prefix>{<queue>}:`, the start of every key of the queue. */
  readonly base: string;
  /** The fixed keys of the queue, as the scripts' `KEYS[1..8]`. */
  readonly scriptKeys: readonly string[];
  /** Hash of per-status job counts. */
  readonly counts: string;
  /** Zset of running job ids scored by lease expiry. */
  readonly running: string;
  /** Hash of the queue's controls and claim bookkeeping (see `scripts/includes/controls.lua`). */
  readonly control: string;

  constructor(
    prefix: string,
    readonly queue: string,
  ) {
    this.base = `${prefix}{${queue}}:`;
    const key = (name: string): string => `${this.base}${name}`;
    this.running = key("running");
    this.counts = key("counts");
    this.control = key("control");
    this.scriptKeys = [
      key("names"),
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

/**
 * The keys and the channel of a prefix that are not tied to a queue. The keys share the hash tag
 * `{#<prefix>}`: a queue name cannot hold `#`, so no queue's keys can ever share their tag.
 */
export class PrefixKeys {
  /** Set of every queue name that has held a job. */
  readonly queues: string;
  /** Hash of schedule name → the queue whose slot holds the schedule. */
  readonly schedules: string;
  /** A key that never exists, which `ping` deletes to check that it may write keys of the prefix. */
  readonly probe: string;
  /** String: the id of the data the prefix holds (`Store.epoch`), lost with the data. */
  readonly epoch: string;
  /** Hash of instance id → `<expiresAt ms> <presence record JSON>` (`Store.saveInstance`). */
  readonly instances: string;
  /**
   * The throughput history (`Store.addThroughput`): two hashes of `<minute ms>|<queue>` → completed
   * and → failed counts, and the zset of those fields scored by minute (the `KEYS` of
   * `scripts/addThroughput.lua`).
   */
  readonly throughput: readonly string[];
  /** The pub/sub channel of the store's events (`<prefix>events`). */
  readonly channel: string;
  /** A SCAN (or ACL) pattern matching every key of the prefix, queue keys included. */
  readonly pattern: string;

  constructor(readonly prefix: string) {
    const tagged = `${prefix}{#${prefix}}:`;
    this.queues = `${tagged}queues`;
    this.schedules = `${tagged}schedules`;
    this.probe = `${tagged}probe`;
    this.epoch = `${tagged}epoch`;
    this.instances = `${tagged}instances`;
    this.throughput = [`${tagged}tp:completed`, `${tagged}tp:failed`, `${tagged}tp:minutes`];
    this.channel = `${prefix}events`;
    // No character a prefix may hold is special in a glob pattern.
    this.pattern = `${prefix}*`;
  }
}
