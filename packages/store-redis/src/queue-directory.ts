import type { Cluster, Redis } from "ioredis";
import { isCluster } from "./connection/index.js";
import { type PrefixKeys, QueueKeys } from "./keys.js";

/** How long the cached list of queues serves claims before it is read again (ms). */
const QUEUES_FRESH_FOR = 1_000;

const NONE: ReadonlySet<string> = new Set();

/**
 * Knows the queues of a prefix. Calls about one queue (claims of a queue, and everything done
 * with a `JobRef`, which names its queue) need no lookup; calls about every queue use the
 * prefix's queue set, cached for a second. Only a job looked up by id alone (`getJob`,
 * `cancelJob`, `requeueJob`) is searched for in every queue, in one round trip.
 *
 * A queue joins the queue set when jobs are inserted into it (or its controls are written). On a
 * single server the script that inserts them adds it, in the same command (the set's key passed
 * after the queue's, see {@link QueueDirectory.registeringKeys}); on a Cluster the set lives in
 * another slot than the queue, so this process adds each queue with a command of its own, once.
 */
export class QueueDirectory {
  private readonly keysByQueue = new Map<string, QueueKeys>();
  /** Queues this process added to the queue set: each is added once, not at every enqueue. */
  private readonly registered = new Set<string>();
  private known = new Set<string>();
  private knownAt = Number.NEGATIVE_INFINITY;
  /**
   * When each queue was last noted (see {@link noteQueues}), as a count of notes: a read of the
   * queue set keeps the queues noted after it was sent, which its answer may lack.
   */
  private readonly noted = new Map<string, number>();
  private notes = 0;
  /** The read of the queue set {@link queuesAtOnce} started, until it is answered. */
  private refreshing: Promise<void> | null = null;
  /** Whether the scripts that insert jobs add their queue to the queue set (not on a Cluster). */
  private readonly scriptsRegister: boolean;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefixKeys: PrefixKeys,
  ) {
    this.scriptsRegister = !isCluster(client);
  }

  /**
   * The keys for a script that inserts jobs into a queue (or writes its controls) and registers
   * it: `keys`, the script's own, then the queue set's on a single server (the script adds the
   * queue to it); on a Cluster `keys` alone, and the client registers the queue
   * ({@link registerQueues}).
   */
  registeringKeys(keys: readonly string[]): readonly string[] {
    return this.scriptsRegister ? [...keys, this.prefixKeys.queues] : keys;
  }

  /** The keys of `queue`. */
  keys(queue: string): QueueKeys {
    let keys = this.keysByQueue.get(queue);
    if (keys === undefined) {
      keys = new QueueKeys(this.prefixKeys.prefix, queue);
      this.keysByQueue.set(queue, keys);
    }
    return keys;
  }

  /**
   * Forgets what this process knows of the queue set: after Redis lost its data (a new epoch) or
   * came back from an outage, a queue counted as registered here may be missing from the set, and
   * the cached list may name queues that are gone. The next enqueue to each queue adds it again,
   * and the next call about every queue reads the set afresh.
   */
  forget(): void {
    this.registered.clear();
    this.known = new Set();
    this.knownAt = Number.NEGATIVE_INFINITY;
    this.noted.clear();
  }

  /**
   * Records queues that hold jobs now (seen in an event, or just written to). A read of the queue
   * set answered later keeps them even when it was sent before they joined the set (see
   * {@link learn}).
   */
  noteQueues(queues: Iterable<string>): void {
    for (const queue of queues) {
      this.known.add(queue);
      this.noted.set(queue, ++this.notes);
    }
  }

  /**
   * On a Cluster, adds to the prefix's queue set the `queues` this process has not added yet (an
   * enqueue sends this with its script, so a queue is registered once per process, not at every
   * enqueue). Resolves with the queues it added. On a single server the scripts register their
   * queues ({@link registeringKeys}): this only notes them, and sends nothing.
   */
  async registerQueues(queues: Iterable<string>): Promise<ReadonlySet<string>> {
    if (this.scriptsRegister) {
      this.noteQueues(queues);
      return NONE;
    }
    const missing = new Set<string>();
    for (const queue of queues) if (!this.registered.has(queue)) missing.add(queue);
    if (missing.size > 0) await this.addQueues(missing);
    return missing;
  }

  /**
   * On a Cluster, adds queues a script found new to Redis (their counts hash did not exist) to the
   * queue set again, unless `justAdded` holds them: the set may have been lost with the data (a
   * restart without persistence, a flush) while this process still counted them as added. On a
   * single server the script did it.
   */
  async registerAgain(queues: readonly string[], justAdded: ReadonlySet<string>): Promise<void> {
    if (this.scriptsRegister) return;
    const again = queues.filter((queue) => !justAdded.has(queue));
    if (again.length > 0) await this.addQueues(again);
  }

  private async addQueues(queues: Iterable<string>): Promise<void> {
    const list = [...queues];
    await this.client.sadd(this.prefixKeys.queues, ...list);
    for (const queue of list) this.registered.add(queue);
    this.noteQueues(list);
  }

  /**
   * Every queue that has held a job. `fresh` reads the set from Redis; otherwise a list at most a
   * second old (plus queues seen since) serves, which keeps the claim path to one round trip.
   */
  async queues(fresh: boolean): Promise<string[]> {
    if (fresh || Date.now() - this.knownAt > QUEUES_FRESH_FOR) {
      const sentAt = this.notes;
      this.learn(await this.readQueues(), sentAt);
    }
    return [...this.known];
  }

  /**
   * The queues {@link queues} would give, without waiting for Redis: `null` before the set was
   * first read (then call `queues`). A list older than a second serves as it is, with the queues
   * seen since (in events and enqueues), while the set is read again alongside: an enqueue that
   * claims (`createJobsAndClaim`) stays one round trip after an idle spell.
   */
  queuesAtOnce(): string[] | null {
    if (this.knownAt === Number.NEGATIVE_INFINITY) return null;
    if (this.refreshing === null && Date.now() - this.knownAt > QUEUES_FRESH_FOR) {
      const sentAt = this.notes;
      this.refreshing = this.readQueues()
        .then((members) => this.learn(members, sentAt))
        .catch(() => {})
        .finally(() => {
          this.refreshing = null;
        });
    }
    return [...this.known];
  }

  /**
   * Looks for something in every queue: `probe(queue)` is sent for each queue known here and,
   * in the same round trip, the queue set is read; only queues new to this process are probed
   * in a second one. Returns the first non-null answer (with its queue), or `null`.
   */
  async find<T>(probe: (queue: string) => Promise<T | null>): Promise<{ queue: string; found: T } | null> {
    const cached = [...this.known];
    const sentAt = this.notes;
    const [members, ...answers] = await Promise.all([this.readQueues(), ...cached.map(probe)]);
    this.learn(members, sentAt);
    const hit = answers.findIndex((answer) => answer !== null);
    if (hit >= 0) return { queue: cached[hit] as string, found: answers[hit] as T };
    const seen = new Set(cached);
    const fresh = members.filter((queue) => !seen.has(queue));
    const more = await Promise.all(fresh.map(probe));
    const later = more.findIndex((answer) => answer !== null);
    return later >= 0 ? { queue: fresh[later] as string, found: more[later] as T } : null;
  }

  private readQueues(): Promise<string[]> {
    return this.client.smembers(this.prefixKeys.queues);
  }

  /**
   * Takes the queue set's `members`, read by a call sent when {@link notes} was `sentAt`, as the
   * queues known here, with the queues noted since: an enqueue of another instance can add a
   * queue, and its event note it here, between the read and its answer. Without them, a worker
   * that heard of the queue only through that event forgot it for a second (the list serves that
   * long), and its claims and `nextDueAt` left the new jobs waiting for the next poll.
   */
  private learn(members: readonly string[], sentAt: number): void {
    this.knownAt = Date.now();
    this.known = new Set(members);
    for (const [queue, at] of this.noted) if (at > sentAt) this.known.add(queue);
  }
}
