import type { GroupLimits, QueuePatch, QueueRecord, RateLimit } from "../store/store.js";
import { claimsBefore, type JobRecord } from "./job-record.js";
import type { QueueState } from "./queue-state.js";

/** A group's next due job and the lane it waits in. */
interface Head {
  lane: QueueState;
  record: JobRecord;
}

/** A group taking part in a claim's rotation. */
interface Member {
  group: string | null;
  lanes: QueueState[];
  head: Head | undefined;
  /** How many more jobs of the group this claim may take. */
  allowed: number;
  /** The group's serve sequence before this claim (0: never served). */
  served: number;
}

/** The first due job of a group across its lanes (one lane per job name), in claim order. */
function headOf(member: Member, now: number): Head | undefined {
  let best: Head | undefined;
  for (const lane of member.lanes) {
    const record = lane.dueHead(now);
    if (record !== undefined && (best === undefined || claimsBefore(record, best.record)))
      best = { lane, record };
  }
  return best;
}

/** Claims counted in the fixed window of a rate limit that holds `start`. @internal */
interface Window {
  start: number;
  count: number;
}

/** The stored state of one group key of a queue. @internal */
interface GroupState {
  /** The serve sequence of the claim that last took a job of the group; 0 when never. */
  servedSeq: number;
  window: Window;
  /** Epoch ms before which the group gives no job (a handler's `rateLimited`), or 0. */
  limitedUntil: number;
}

/**
 * The controls and claim bookkeeping of one queue. A queue gets one when `updateQueue` writes it
 * (then `configured`: it is listed by `listQueues`), when a handler pushes it back, or when a
 * grouped job is inserted in it (its groups then rotate). Queues without one keep the heap-only
 * claim path.
 *
 * @internal
 */
export class QueueControl {
  configured = false;
  paused = false;
  concurrency: number | null = null;
  rateLimit: RateLimit | null = null;
  group: GroupLimits | null = null;
  limitedUntil = 0;
  updatedAt = 0;
  /** Rises by one for every job a claim takes from a group (the group's `servedSeq`). */
  private serveSeq = 0;
  private readonly window: Window = { start: Number.NaN, count: 0 };
  /** Keyed by group key; `null` stands for the jobs without a group. */
  private readonly groups = new Map<string | null, GroupState>();

  constructor(readonly name: string) {}

  /** Applies the fields present in `patch`. */
  apply(patch: QueuePatch, now: number): void {
    this.configured = true;
    if (patch.paused !== undefined) this.paused = patch.paused;
    if (patch.concurrency !== undefined) this.concurrency = patch.concurrency;
    if (patch.rateLimit !== undefined)
      this.rateLimit = patch.rateLimit === null ? null : { ...patch.rateLimit };
    if (patch.group !== undefined) {
      this.group =
        patch.group === null
          ? null
          : {
              concurrency: patch.group.concurrency,
              rateLimit: patch.group.rateLimit === null ? null : { ...patch.group.rateLimit },
            };
    }
    if (patch.limitedUntil === null) {
      this.limitedUntil = 0;
      for (const state of this.groups.values()) state.limitedUntil = 0;
    }
    this.updatedAt = now;
  }

  /**
   * Pushes back the queue (`group` undefined) or one of its groups until `until`, never
   * shortening. A queue record made here was updated at `now`; an existing one keeps its time.
   */
  pushBack(until: number, now: number, group?: string): void {
    if (group === undefined) {
      if (!this.configured) this.updatedAt = now;
      this.configured = true;
      this.limitedUntil = Math.max(this.limitedUntil, until);
    } else {
      const state = this.groupState(group);
      state.limitedUntil = Math.max(state.limitedUntil, until);
    }
  }

  /** The record `listQueues` and `getQueue` return. */
  toRecord(): QueueRecord {
    return {
      name: this.name,
      paused: this.paused,
      concurrency: this.concurrency,
      rateLimit: this.rateLimit === null ? null : { ...this.rateLimit },
      group:
        this.group === null
          ? null
          : {
              concurrency: this.group.concurrency,
              rateLimit: this.group.rateLimit === null ? null : { ...this.group.rateLimit },
            },
      limitedUntil: this.limitedUntil > 0 ? new Date(this.limitedUntil) : null,
      updatedAt: new Date(this.updatedAt),
    };
  }

  /**
   * Claims for this queue at `now`, at most `limit` jobs, in the order of the store contract
   * (rounds of one job per group, the least recently served group first), and counts them in the
   * windows and the serve order. `lanes` are the queue's lanes the claimer can run, by group;
   * `running` its running jobs; `take` starts a job (it has left its lane).
   */
  claim(
    lanes: Map<string | null, QueueState[]>,
    running: Iterable<JobRecord>,
    limit: number,
    now: number,
    take: (record: JobRecord) => void,
  ): void {
    if (this.paused || this.limitedUntil > now) return;
    let allowed = limit;
    const runningByGroup = new Map<string | null, number>();
    let runningCount = 0;
    for (const record of running) {
      runningCount++;
      runningByGroup.set(record.group, (runningByGroup.get(record.group) ?? 0) + 1);
    }
    if (this.concurrency !== null) allowed = Math.min(allowed, this.concurrency - runningCount);
    if (this.rateLimit !== null)
      allowed = Math.min(allowed, this.rateLimit.max - windowCount(this.window, this.rateLimit, now));
    if (allowed <= 0) return;

    const rotation: Member[] = [];
    for (const [group, groupLanes] of lanes) {
      const groupAllowed = this.groupAllowance(group, runningByGroup.get(group) ?? 0, now);
      if (groupAllowed <= 0) continue;
      const member: Member = {
        group,
        lanes: groupLanes,
        head: undefined,
        allowed: groupAllowed,
        served: this.groups.get(group)?.servedSeq ?? 0,
      };
      for (const lane of groupLanes) lane.promote(now);
      member.head = headOf(member, now);
      if (member.head !== undefined) rotation.push(member);
    }
    rotation.sort(
      (a, b) =>
        a.served - b.served || (claimsBefore((a.head as Head).record, (b.head as Head).record) ? -1 : 1),
    );
    let taken = 0;
    while (taken < allowed && rotation.length > 0) {
      for (let i = 0; i < rotation.length && taken < allowed; ) {
        const member = rotation[i] as Member;
        const { lane, record } = member.head as Head;
        lane.leave(record);
        take(record);
        taken++;
        member.allowed--;
        this.countClaim(member.group, now);
        member.head = member.allowed > 0 ? headOf(member, now) : undefined;
        if (member.head === undefined) rotation.splice(i, 1);
        else i++;
      }
    }
  }

  /** How many more jobs of `group` may start at `now`. */
  private groupAllowance(group: string | null, running: number, now: number): number {
    if (group === null) return Number.POSITIVE_INFINITY;
    const state = this.groups.get(group);
    if (state !== undefined && state.limitedUntil > now) return 0;
    let allowed = Number.POSITIVE_INFINITY;
    const limits = this.group;
    if (limits?.concurrency != null) allowed = limits.concurrency - running;
    if (limits?.rateLimit != null && state !== undefined) {
      allowed = Math.min(allowed, limits.rateLimit.max - windowCount(state.window, limits.rateLimit, now));
    } else if (limits?.rateLimit != null) {
      allowed = Math.min(allowed, limits.rateLimit.max);
    }
    return allowed;
  }

  private countClaim(group: string | null, now: number): void {
    if (this.rateLimit !== null) addToWindow(this.window, this.rateLimit, now);
    const state = this.groupState(group);
    state.servedSeq = ++this.serveSeq;
    if (group !== null && this.group?.rateLimit != null) addToWindow(state.window, this.group.rateLimit, now);
  }

  private groupState(group: string | null): GroupState {
    let state = this.groups.get(group);
    if (state === undefined) {
      state = { servedSeq: 0, window: { start: Number.NaN, count: 0 }, limitedUntil: 0 };
      this.groups.set(group, state);
    }
    return state;
  }
}

/** The start of the fixed window of `limit` that holds `now`: windows are aligned to the Unix epoch. */
export function windowStart(limit: RateLimit, now: number): number {
  return Math.floor(now / limit.per) * limit.per;
}

function windowCount(window: Window, limit: RateLimit, now: number): number {
  // A claim whose `now` lies in an earlier window than the stored one (a clock behind, a claim that
  // waited) counts in the stored window: a window only moves forward (NaN, none yet, compares false).
  return window.start >= windowStart(limit, now) ? window.count : 0;
}

function addToWindow(window: Window, limit: RateLimit, now: number): void {
  const start = windowStart(limit, now);
  if (!(window.start >= start)) {
    window.start = start;
    window.count = 0;
  }
  window.count++;
}
