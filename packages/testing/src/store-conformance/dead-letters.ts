import { type DeadLetterOptions, deadLetterJob, insertedJob, type Job } from "@sched/core/adapter";
import { describe, expect, it } from "vitest";
import {
  at,
  claimAt,
  createRunningJob,
  mustGet,
  recover,
  refOf,
  type StoreSuiteContext,
} from "./fixtures.js";

const DEAD_LETTER: DeadLetterOptions = { name: "dead", priority: 7, maxRetries: 2, timeout: 45_000 };

/** The dead-letter job a store must have inserted for `dead`'s death at `now`, as stored. */
function expectedLetter(dead: Job, now: Date): Job {
  return insertedJob(deadLetterJob(dead, DEAD_LETTER, now));
}

/**
 * Durable dead letters (docs/architecture.md §2): a job's death and the insert of its dead-letter job are one
 * atomic step of the store, so a crash in between cannot lose the dead-letter work.
 */
export function describeDeadLetters(ctx: StoreSuiteContext): void {
  describe("dead letters", () => {
    it("failJob with deadLetter makes the job dead and inserts its dead-letter job in the same step", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, { queue: "emails", payload: { to: "a@example.com" } });
      const dead = await store.failJob(refOf(running), {
        now: at(100),
        error: "fatal",
        retryAt: null,
        deadLetter: DEAD_LETTER,
      });
      expect(dead).toMatchObject({ status: "dead", error: "fatal" });
      const letter = await store.getJob(`${running.id}:dead:1`);
      expect(letter).toEqual(expectedLetter(running, at(100)));
      expect(letter).toMatchObject({
        name: "dead",
        queue: "emails",
        status: "pending",
        payload: null,
        metadata: { "sched.deadLetter": running.id },
      });
      // It is a job like any other: claimable at once, in the dead job's queue.
      const [claimed] = await store.claimDueJobs(claimAt(at(100), { queues: ["emails"] }));
      expect(claimed).toMatchObject({ id: letter!.id, attempt: 1, status: "running" });
    });

    it("failJob with a retryAt ignores deadLetter", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store);
      await store.failJob(refOf(running), {
        now: at(1),
        error: "x",
        retryAt: at(5),
        deadLetter: DEAD_LETTER,
      });
      expect(await store.getJob(`${running.id}:dead:1`)).toBeNull();
      expect((await store.stats()).pending + (await store.stats()).failed).toBe(1);
    });

    it("a stale failJob inserts no dead-letter job", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store);
      await store.completeJobs([refOf(running)], { now: at(1) });
      expect(
        await store.failJob(refOf(running), {
          now: at(2),
          error: "late",
          retryAt: null,
          deadLetter: DEAD_LETTER,
        }),
      ).toBeNull();
      expect((await store.listJobs({})).jobs).toHaveLength(1);
    });

    it("the death of a dead-letter job has no dead letter of its own", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, { name: "dead" });
      await store.failJob(refOf(running), { now: at(1), error: "x", retryAt: null, deadLetter: DEAD_LETTER });
      expect((await store.listJobs({})).jobs).toHaveLength(1);
    });

    it("a death after retryJob inserts a second dead-letter job, named for that attempt", async () => {
      const { store } = ctx;
      const first = await createRunningJob(store);
      await store.failJob(refOf(first), { now: at(1), error: "x", retryAt: null, deadLetter: DEAD_LETTER });
      await store.requeueJob(first.id, at(2));
      const [second] = await store.claimDueJobs(claimAt(at(2), { names: ["conformance-job"] }));
      expect(second!.attempt).toBe(2);
      await store.failJob(refOf(second!), { now: at(3), error: "y", retryAt: null, deadLetter: DEAD_LETTER });
      const letters = (await store.listJobs({ name: "dead" })).jobs;
      expect(letters.map((job) => job.id).sort()).toEqual(
        [`${first.id}:dead:1`, `${first.id}:dead:2`].sort(),
      );
    });

    it("recoverExpiredLeases inserts the dead-letter job of each job it makes dead", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, { queue: "q" });
      const result = await recover(store, running.lockedUntil!, 100, {
        maxLostLeases: 0,
        deadLetter: DEAD_LETTER,
      });
      expect(result.dead.map((job) => job.id)).toEqual([running.id]);
      const dead = await mustGet(store, running.id);
      expect(await store.getJob(`${running.id}:dead:1`)).toEqual(expectedLetter(dead, running.lockedUntil!));
    });

    it("recoverExpiredLeases inserts no dead-letter job for a dead-letter job it makes dead", async () => {
      const { store } = ctx;
      const running = await createRunningJob(store, { name: "dead" });
      await recover(store, running.lockedUntil!, 100, { maxLostLeases: 0, deadLetter: DEAD_LETTER });
      expect((await store.listJobs({})).jobs).toHaveLength(1);
    });
  });
}
