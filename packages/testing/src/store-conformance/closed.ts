import type { Store } from "@sched/core";
import { StoreClosedError } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  codeOf,
  expectSchedulerError,
  newJob,
  newSchedule,
  refOf,
  rejectionOf,
  type StoreSuiteContext,
} from "./fixtures.js";

/** After `close()`, every call rejects with STORE_CLOSED, so that a scheduler stops instead of retrying. */
export function describeClosed(ctx: StoreSuiteContext): void {
  describe("close", () => {
    it("close is idempotent and every later call rejects with STORE_CLOSED", async () => {
      const store = await ctx.openStore();
      await store.createJobs([newJob()]);
      await store.close();
      await store.close();
      const ref = { id: "x", queue: "default", attempt: 1, lockedBy: "worker-1" };
      const calls: Array<[string, () => Promise<unknown>]> = [
        ["createJobs", () => store.createJobs([newJob()])],
        ["getJob", () => store.getJob("x")],
        ["listJobs", () => store.listJobs({})],
        ["cancelJob", () => store.cancelJob("x", at(0))],
        ["requeueJob", () => store.requeueJob("x", at(0))],
        ["claimDueJobs", () => store.claimDueJobs(claimAt())],
        ["completeJobs", () => store.completeJobs([ref], { now: at(0) })],
        ["failJob", () => store.failJob(ref, { now: at(0), error: "e", retryAt: null })],
        ["releaseJobs", () => store.releaseJobs([ref], { now: at(0) })],
        ["renewLeases", () => store.renewLeases([ref], at(0))],
        [
          "recoverExpiredLeases",
          () =>
            store.recoverExpiredLeases({
              now: at(0),
              limit: 1,
              maxLostLeases: 3,
              error: "e",
              deadLetter: null,
            }),
        ],
        ["nextDueAt", () => store.nextDueAt({ queues: null, names: null })],
        ["waitingJobNames", () => store.waitingJobNames({ queues: null, dueBy: at(0), limit: 1 })],
        ["saveSchedule", () => store.saveSchedule(newSchedule("s"))],
        ["getSchedule", () => store.getSchedule("s")],
        ["listSchedules", () => store.listSchedules()],
        ["deleteSchedule", () => store.deleteSchedule("s")],
        [
          "fireScheduleTick",
          () =>
            store.fireScheduleTick({
              name: "s",
              expectedNextRunAt: at(0),
              nextRunAt: null,
              firedAt: at(0),
              jobs: [],
            }),
        ],
        [
          "cleanup",
          () => store.cleanup({ completedBefore: at(0), deadBefore: at(0), cancelledBefore: at(0) }),
        ],
        ["stats", () => store.stats()],
        ["ping", () => store.ping()],
        ["epoch", () => store.epoch()],
      ];
      for (const [name, call] of calls) {
        const error = await rejectionOf(call);
        expect(codeOf(error), name).toBe("STORE_CLOSED");
        expectSchedulerError(error, StoreClosedError, "STORE_CLOSED");
      }
    });

    it("close() leaves no timer or socket of its own open", async () => {
      // A store used and closed first: what the test file shares between stores (an admin
      // connection, a client that connects at its first command) is then open before counting,
      // not counted against this store.
      const first = await ctx.openStore();
      await use(first);
      await first.close();
      await settle();
      const before = activeHandles();
      const store = await ctx.openStore();
      await use(store);
      await store.close();
      // A socket's close and a timer's clearing may take a turn or two of the event loop.
      const deadline = Date.now() + 2_000;
      let after = activeHandles();
      while (Date.now() < deadline && leaked(before, after).length > 0) {
        await settle();
        after = activeHandles();
      }
      expect(leaked(before, after), "timers and sockets left open by close() (type: count)").toEqual([]);
    });

    it("calls made just before close() end with their answer or STORE_CLOSED, never by timing out", async () => {
      const store = await ctx.openStore();
      // A store that has answered before (its connections are open), as a scheduler's is at stop.
      await store.createJobs([newJob()]);
      const started = Date.now();
      const calls = [store.getJob("x"), store.stats(), store.listSchedules(), store.claimDueJobs(claimAt())];
      const outcomes = calls.map((call) =>
        call.then(
          () => "answered",
          (err: unknown) => (err as { code?: string }).code ?? String(err),
        ),
      );
      await store.close();
      for (const outcome of await Promise.all(outcomes))
        expect(["answered", "STORE_CLOSED"]).toContain(outcome);
      // Not held until a connection or command timeout (5 s and more by default).
      expect(Date.now() - started).toBeLessThan(4_000);
    });
  });
}

/**
 * What a store is asked before the close() rule closes it: a job created, claimed and completed,
 * its counts and next due time read, and a subscription left open (close() releases it too).
 */
async function use(store: Store): Promise<void> {
  await store.createJobs([newJob()]);
  const [claimed] = await store.claimDueJobs(claimAt());
  if (claimed) await store.completeJobs([refOf(claimed)], { now: at(1) });
  await store.stats();
  store.subscribe?.(() => {});
  await store.nextDueAt({ queues: null, names: null });
}

/** The types of resource that keep the process alive, each with how many there are. */
function activeHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (type !== "Timeout" && type !== "TCPSocketWrap" && type !== "PipeWrap") continue;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

/** Each type of which `after` holds more than `before`, as `type: increase`. */
function leaked(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [type, count] of after) {
    const increase = count - (before.get(type) ?? 0);
    if (increase > 0) out.push(`${type}: ${increase}`);
  }
  return out;
}

/** Lets pending closes and cleared timers take effect. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}
