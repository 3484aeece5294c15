import {
  ACTIVE_STATUSES,
  decodeJobCursor,
  encodeJobCursor,
  FINAL_STATUSES,
  type Job,
  type JobFilter,
  type JobPage,
  type JobSelector,
  type JobStatus,
} from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { compareIds } from "./cross-queue.js";
import { decodeJob, epochMs, JOB_FIELDS, type JobReply } from "./job-codec.js";
import type { QueueDirectory } from "./queue-directory.js";
import { SCRIPTS } from "./scripts.js";

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;
/** The most index entries one listing script looks at, so a selective filter never holds Redis long. */
const SCAN_BUDGET = 10_000;
/** The most index entries one `retryJobs` or `deleteJobs` script handles: each script stays short. */
const BULK_BATCH = 500;
/** The most ids one `migrateListing` script moves. */
const MIGRATE_BATCH = 1_000;

const ALL_STATUSES: readonly JobStatus[] = [...ACTIVE_STATUSES, ...FINAL_STATUSES];

/** A place in the listing order: a job's `createdAt` (epoch ms, as Redis gives a score) and id. */
interface Position {
  createdAt: string;
  id: string;
}

/** A job a queue's listing script found: its position, its queue, and the job when it was read. */
interface Listed extends Position {
  queue: string;
  job: Job | null;
}

/** The statuses a selector asks for, each once, in the order of {@link ALL_STATUSES}. */
function statusesOf(selector: JobSelector): JobStatus[] {
  if (selector.status === undefined) return [...ALL_STATUSES];
  const wanted = new Set(Array.isArray(selector.status) ? selector.status : [selector.status]);
  return ALL_STATUSES.filter((status) => wanted.has(status));
}

/** A selector's name, group, from and to as the scripts take them (see `includes/selection.lua`). */
function selectorArgs(selector: JobSelector): string[] {
  return [
    selector.name === undefined ? "" : `=${selector.name}`,
    selector.group === undefined ? "" : `=${selector.group}`,
    selector.from === undefined ? "" : String(epochMs(selector.from, "from")),
    selector.to === undefined ? "" : String(epochMs(selector.to, "to")),
  ];
}

const ascending = (a: Position, b: Position): number =>
  Number(a.createdAt) - Number(b.createdAt) || compareIds(a.id, b.id);

/**
 * Listing and bulk operations over the jobs of every queue. Each queue keeps one listing index per
 * status (`<prefix>{<queue>}:listed:<status>`, job ids scored by `createdAt`, see
 * `scripts/includes/queue.lua`), moved in the same script as every status change. A page asks
 * each queue for at most the jobs it still lacks after the cursor (a rank lookup in each index,
 * then a read in order), merges the answers and reads the jobs that made the page: what a page
 * costs depends on its size and the number of queues, not on its depth.
 */
export class JobListing {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly directory: QueueDirectory,
  ) {}

  /** {@inheritDoc Store.listJobs} */
  async listJobs(filter: JobFilter): Promise<JobPage> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
    const descending = filter.order === "desc";
    const statuses = statusesOf(filter);
    const selector = selectorArgs(filter);
    const cursor = filter.cursor == null ? null : decodeJobCursor(filter.cursor);
    if (statuses.length === 0) return { jobs: [], nextCursor: null };
    const queues = filter.queue === undefined ? await this.directory.queues(true) : [filter.queue];
    // One queue's script returns its jobs at once; across queues, only the jobs that make the
    // page are read, after the merge.
    const inline = queues.length === 1;
    let after: Position | null =
      cursor === null ? null : { createdAt: String(cursor.createdAt), id: cursor.id };
    const jobs: Job[] = [];
    // One more than the page: whether a job follows it decides `nextCursor`.
    const wanted = limit + 1;
    while (jobs.length < wanted) {
      const want = wanted - jobs.length;
      const lists = await Promise.all(
        queues.map((queue) =>
          this.collect(
            queue,
            [statuses.join(","), ...selector, descending ? "desc" : "asc"],
            after,
            want,
            inline,
          ),
        ),
      );
      const merged = lists
        .flat()
        .sort((a, b) => (descending ? -ascending(a, b) : ascending(a, b)))
        .slice(0, want);
      if (merged.length === 0) break;
      const found = inline ? merged.map((entry) => entry.job) : await this.readJobs(merged);
      for (const job of found) if (job !== null) jobs.push(job);
      // A job deleted between the merge and its read leaves a gap: the next round fills it.
      if (merged.length < want) break;
      const last = merged[merged.length - 1] as Listed;
      after = { createdAt: last.createdAt, id: last.id };
    }
    const page = jobs.slice(0, limit);
    const last = page[page.length - 1];
    return {
      jobs: page,
      nextCursor: jobs.length > limit && last !== undefined ? encodeJobCursor(last, filter.order) : null,
    };
  }

  /** {@inheritDoc Store.retryJobs} */
  async retryJobs(selector: JobSelector, now: Date): Promise<number> {
    const statuses = statusesOf(selector).filter((status) => status === "dead" || status === "cancelled");
    return this.bulk("retryJobs", selector, statuses, [String(epochMs(now, "now"))]);
  }

  /** {@inheritDoc Store.deleteJobs} */
  async deleteJobs(selector: JobSelector): Promise<number> {
    const statuses = statusesOf(selector).filter((status) => status !== "running");
    return this.bulk("deleteJobs", selector, statuses, []);
  }

  /**
   * Runs a bulk script over every selected status index of every queue (queues concurrently),
   * batch after batch from where the last one stopped. Returns the sum of the counts.
   */
  private async bulk(
    script: "retryJobs" | "deleteJobs",
    selector: JobSelector,
    statuses: readonly JobStatus[],
    extra: readonly string[],
  ): Promise<number> {
    const args = selectorArgs(selector);
    if (statuses.length === 0) return 0;
    const queues = selector.queue === undefined ? await this.directory.queues(true) : [selector.queue];
    const counts = await Promise.all(
      queues.map(async (queue) => {
        const keys = this.directory.keys(queue).scriptKeys;
        let total = 0;
        for (const status of statuses) {
          let after: Position | null = null;
          for (;;) {
            const reply = (await SCRIPTS[script].run(this.client, keys, [
              status,
              ...args,
              after?.createdAt ?? "",
              after?.id ?? "",
              String(BULK_BATCH),
              ...extra,
            ])) as [number | string, string, string];
            if (reply[0] === "migrate") {
              await this.migrate(queue);
              continue;
            }
            total += Number(reply[0]);
            if (reply[1] === "") break;
            after = { createdAt: reply[1], id: reply[2] };
          }
        }
        return total;
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * The next jobs of `queue` after `after` that match, at most `want`, script after script while
   * a script's scan budget runs out first.
   */
  private async collect(
    queue: string,
    query: readonly string[],
    after: Position | null,
    want: number,
    withJobs: boolean,
  ): Promise<Listed[]> {
    const keys = this.directory.keys(queue).scriptKeys;
    const found: Listed[] = [];
    let from = after;
    for (;;) {
      const reply = (await SCRIPTS.listJobs.run(this.client, keys, [
        ...query,
        from?.createdAt ?? "",
        from?.id ?? "",
        String(want - found.length),
        String(SCAN_BUDGET),
        withJobs ? "1" : "0",
      ])) as Array<string | JobReply>;
      if (reply[0] === "migrate") {
        await this.migrate(queue);
        continue;
      }
      const step = withJobs ? 3 : 2;
      for (let i = 3; i < reply.length; i += step) {
        found.push({
          createdAt: reply[i] as string,
          id: reply[i + 1] as string,
          queue,
          job: withJobs ? decodeJob(reply[i + 2] as JobReply) : null,
        });
      }
      if (reply[0] !== "more") return found;
      from = { createdAt: reply[1] as string, id: reply[2] as string };
    }
  }

  /** The jobs of `entries` (each queue's in one round trip), `null` for one deleted meanwhile. */
  private readJobs(entries: readonly Listed[]): Promise<Array<Job | null>> {
    return Promise.all(
      entries.map(async (entry) =>
        decodeJob(await this.client.hmget(this.directory.keys(entry.queue).job(entry.id), ...JOB_FIELDS)),
      ),
    );
  }

  /**
   * Moves the ids of a queue's all-jobs index of earlier versions (`<prefix>{<queue>}:created`)
   * to the listing indexes of their statuses, in batches. Runs once per queue, when a listing or
   * bulk script finds the old index.
   */
  private async migrate(queue: string): Promise<void> {
    const keys = this.directory.keys(queue).scriptKeys;
    while ((await SCRIPTS.migrateListing.run(this.client, keys, [String(MIGRATE_BATCH)])) !== 0) {
      // Each batch is one short script; the loop ends when the old index is gone.
    }
  }
}
