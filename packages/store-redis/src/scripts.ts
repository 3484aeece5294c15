import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import addThroughput from "../scripts/addThroughput.lua";
import cancelJob from "../scripts/cancelJob.lua";
import checkJobs from "../scripts/checkJobs.lua";
import claimDueJobs from "../scripts/claimDueJobs.lua";
import cleanup from "../scripts/cleanup.lua";
import completeJobs from "../scripts/completeJobs.lua";
import createDedupedJob from "../scripts/createDedupedJob.lua";
import createJobs from "../scripts/createJobs.lua";
import createJobsAndClaim from "../scripts/createJobsAndClaim.lua";
import deleteJob from "../scripts/deleteJob.lua";
import deleteJobs from "../scripts/deleteJobs.lua";
import epoch from "../scripts/epoch.lua";
import failJob from "../scripts/failJob.lua";
import fireScheduleTick from "../scripts/fireScheduleTick.lua";
import bulkInclude from "../scripts/includes/bulk.lua";
import claimInclude from "../scripts/includes/claim.lua";
import controlsInclude from "../scripts/includes/controls.lua";
import deadLetterInclude from "../scripts/includes/dead-letter.lua";
import eventsInclude from "../scripts/includes/events.lua";
import lanesInclude from "../scripts/includes/lanes.lua";
import queueInclude from "../scripts/includes/queue.lua";
import removalInclude from "../scripts/includes/removal.lua";
import requeueInclude from "../scripts/includes/requeue.lua";
import scheduleInclude from "../scripts/includes/schedule.lua";
import selectionInclude from "../scripts/includes/selection.lua";
import listInstances from "../scripts/listInstances.lua";
import listJobs from "../scripts/listJobs.lua";
import migrateListing from "../scripts/migrateListing.lua";
import nextDueAt from "../scripts/nextDueAt.lua";
import peekDueJobs from "../scripts/peekDueJobs.lua";
import ping from "../scripts/ping.lua";
import promoteJob from "../scripts/promoteJob.lua";
import rateLimitJob from "../scripts/rateLimitJob.lua";
import recoverExpiredLeases from "../scripts/recoverExpiredLeases.lua";
import releaseJobs from "../scripts/releaseJobs.lua";
import removeJobs from "../scripts/removeJobs.lua";
import renewLeases from "../scripts/renewLeases.lua";
import requeueJob from "../scripts/requeueJob.lua";
import retryJobs from "../scripts/retryJobs.lua";
import saveSchedule from "../scripts/saveSchedule.lua";
import throughput from "../scripts/throughput.lua";
import updateQueue from "../scripts/updateQueue.lua";
import waitingJobNames from "../scripts/waitingJobNames.lua";
import writeSchedule from "../scripts/writeSchedule.lua";
import { JOB_FIELDS } from "./job-codec.js";

/**
 * `FIELDS`, the Lua table of the job's hash fields, and `FIELD_AT`, each field's position in it,
 * from the one list of them ({@link JOB_FIELDS}).
 */
const jobFieldsInclude = [
  `local FIELDS = { ${JOB_FIELDS.map((field) => `'${field}'`).join(", ")} }`,
  `local FIELD_AT = { ${JOB_FIELDS.map((field, i) => `${field} = ${i + 1}`).join(", ")} }`,
].join("\n");

const INCLUDES: Record<string, string> = {
  "job-fields": jobFieldsInclude,
  queue: queueInclude,
  lanes: lanesInclude,
  controls: controlsInclude,
  claim: claimInclude,
  events: eventsInclude,
  "dead-letter": deadLetterInclude,
  schedule: scheduleInclude,
  requeue: requeueInclude,
  removal: removalInclude,
  selection: selectionInclude,
  bulk: bulkInclude,
};

/**
 * Replaces `-- @include <name>` lines with the shared code of `scripts/includes/<name>.lua` (or
 * the code written here, `job-fields`), whose own includes are expanded the same way.
 */
function expandIncludes(name: string, source: string): string {
  return source.replace(/^-- @include ([\w-]+)\s*$/gm, (_, include: string) => {
    const code = INCLUDES[include];
    if (code === undefined) throw new Error(`script ${name}: unknown include "${include}"`);
    return expandIncludes(name, code);
  });
}

/** One Lua script: called by SHA (`EVALSHA`), sent in full (`EVAL`, which caches it) on `NOSCRIPT`. */
export class LuaScript {
  /** The script's source, includes expanded. */
  readonly source: string;
  /** The SHA1 that `EVALSHA` names it by. */
  readonly sha: string;

  constructor(
    /** The command the script is, named like its file. */
    readonly name: string,
    source: string,
    /**
     * How many leading arguments are keys, at least: a script may take optional keys after them
     * (the prefix's queue set, see `registerQueue` in `scripts/includes/queue.lua`).
     */
    readonly numberOfKeys: number,
  ) {
    this.source = expandIncludes(name, source);
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  /**
   * Runs the script with `keys` (its own, then any optional ones) and `args`; a server that lost
   * its script cache (a restart, `SCRIPT FLUSH`) gets it again.
   */
  async run(client: Redis | Cluster, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    if (keys.length < this.numberOfKeys) {
      throw new Error(`script ${this.name}: ${this.numberOfKeys} keys expected, got ${keys.length}`);
    }
    // One array argument (ioredis flattens it): spreading a bulk insert's hundreds of thousands
    // of arguments into the call would overflow the JavaScript stack.
    const keysAndArgs = keys.concat(args);
    try {
      return await client.evalsha(this.sha, keys.length, keysAndArgs);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return client.eval(this.source, keys.length, keysAndArgs);
    }
  }
}

/** The number of fixed keys every queue script takes (see `scripts/includes/queue.lua`). */
const QUEUE_KEYS = 8;

/** Every script of the store, loaded once per process. */
export const SCRIPTS = {
  createJobs: new LuaScript("createJobs", createJobs, QUEUE_KEYS),
  checkJobs: new LuaScript("checkJobs", checkJobs, QUEUE_KEYS),
  claimDueJobs: new LuaScript("claimDueJobs", claimDueJobs, QUEUE_KEYS),
  createJobsAndClaim: new LuaScript("createJobsAndClaim", createJobsAndClaim, QUEUE_KEYS),
  peekDueJobs: new LuaScript("peekDueJobs", peekDueJobs, QUEUE_KEYS),
  nextDueAt: new LuaScript("nextDueAt", nextDueAt, QUEUE_KEYS),
  waitingJobNames: new LuaScript("waitingJobNames", waitingJobNames, QUEUE_KEYS),
  completeJobs: new LuaScript("completeJobs", completeJobs, QUEUE_KEYS),
  failJob: new LuaScript("failJob", failJob, QUEUE_KEYS),
  releaseJobs: new LuaScript("releaseJobs", releaseJobs, QUEUE_KEYS),
  renewLeases: new LuaScript("renewLeases", renewLeases, QUEUE_KEYS),
  recoverExpiredLeases: new LuaScript("recoverExpiredLeases", recoverExpiredLeases, QUEUE_KEYS),
  cancelJob: new LuaScript("cancelJob", cancelJob, QUEUE_KEYS),
  requeueJob: new LuaScript("requeueJob", requeueJob, QUEUE_KEYS),
  cleanup: new LuaScript("cleanup", cleanup, QUEUE_KEYS),
  removeJobs: new LuaScript("removeJobs", removeJobs, QUEUE_KEYS),
  listJobs: new LuaScript("listJobs", listJobs, QUEUE_KEYS),
  migrateListing: new LuaScript("migrateListing", migrateListing, QUEUE_KEYS),
  retryJobs: new LuaScript("retryJobs", retryJobs, QUEUE_KEYS),
  deleteJobs: new LuaScript("deleteJobs", deleteJobs, QUEUE_KEYS),
  promoteJob: new LuaScript("promoteJob", promoteJob, QUEUE_KEYS),
  deleteJob: new LuaScript("deleteJob", deleteJob, QUEUE_KEYS),
  createDedupedJob: new LuaScript("createDedupedJob", createDedupedJob, QUEUE_KEYS),
  updateQueue: new LuaScript("updateQueue", updateQueue, QUEUE_KEYS),
  rateLimitJob: new LuaScript("rateLimitJob", rateLimitJob, QUEUE_KEYS),
  fireScheduleTick: new LuaScript("fireScheduleTick", fireScheduleTick, QUEUE_KEYS + 1),
  saveSchedule: new LuaScript("saveSchedule", saveSchedule, 2),
  writeSchedule: new LuaScript("writeSchedule", writeSchedule, 1),
  epoch: new LuaScript("epoch", epoch, 1),
  ping: new LuaScript("ping", ping, 2),
  listInstances: new LuaScript("listInstances", listInstances, 1),
  addThroughput: new LuaScript("addThroughput", addThroughput, 3),
  throughput: new LuaScript("throughput", throughput, 3),
} as const;
