import type { Cluster, Redis } from "ioredis";
import { type PrefixKeys, QueueKeys } from "./keys.js";

/** How long the cached list of queues serves claims before it is read again (ms). */
const QUEUES_FRESH_FOR = 1_000;
/** The most job → queue entries remembered; beyond it the oldest are forgotten. */
const MAX_REMEMBERED_JOBS = 100_000;

/**
 * Knows the queues of a prefix and which queue a job id is in. Job keys carry their queue's hash
 * tag, so finding a job by id alone means asking each queue; the ids this process claimed are
 * remembered, which makes acks, failures and lease renewals a single script call per queue.
 */
export class QueueDirectory {
  private readonly keysByQueue = new Map<string, QueueKeys>();
  private readonly queueOfJob = new Map<string, string>();
  private known = new Set<string>();
  private knownAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefixKeys: PrefixKeys,
  ) {}

  /** The keys of `queue`. */
  keys(queue: string): QueueKeys {
    let keys = this.keysByQueue.get(queue);
    if (keys === undefined) {
      keys = new QueueKeys(this.prefixKeys.prefix, queue);
      this.keysByQueue.set(queue, keys);
    }
    return keys;
  }

  /** Records queues that hold jobs now (written to the queue set by the caller, or seen in a wake-up). */
  noteQueues(queues: Iterable<string>): void {
    for (const queue of queues) this.known.add(queue);
  }

  /** Adds queues to the prefix's queue set, so that claims of every queue find them. */
  async registerQueues(queues: readonly string[]): Promise<void> {
    if (queues.length === 0) return;
    await this.client.sadd(this.prefixKeys.queues, ...queues);
    this.noteQueues(queues);
  }

  /**
   * Every queue that has held a job. `fresh` reads the set from Redis; otherwise a list at most a
   * second old (plus queues seen since) serves, which keeps the claim path to one round trip.
   */
  async queues(fresh: boolean): Promise<string[]> {
    if (fresh || Date.now() - this.knownAt > QUEUES_FRESH_FOR) {
      const members = await this.client.smembers(this.prefixKeys.queues);
      this.knownAt = Date.now();
      this.known = new Set(members);
    }
    return [...this.known];
  }

  /** Remembers the queue of a job this process holds (claimed). */
  remember(id: string, queue: string): void {
    this.queueOfJob.set(id, queue);
    if (this.queueOfJob.size > MAX_REMEMBERED_JOBS) {
      const oldest = this.queueOfJob.keys().next().value as string;
      this.queueOfJob.delete(oldest);
    }
  }

  /** Forgets a job's queue (the job left this process's hands). */
  forget(id: string): void {
    this.queueOfJob.delete(id);
  }

  /** The queues of `ids` (missing from the map when the job does not exist). */
  async locate(ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const unknown: string[] = [];
    for (const id of ids) {
      const queue = this.queueOfJob.get(id);
      if (queue === undefined) unknown.push(id);
      else found.set(id, queue);
    }
    if (unknown.length === 0) return found;
    const queues = await this.queues(true);
    const probes = unknown.flatMap((id) => queues.map((queue) => ({ id, queue })));
    const exists = await Promise.all(probes.map((p) => this.client.exists(this.keys(p.queue).job(p.id))));
    probes.forEach((probe, i) => {
      if (exists[i] === 1) found.set(probe.id, probe.queue);
    });
    return found;
  }
}
