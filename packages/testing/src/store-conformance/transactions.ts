import type { Store, StoreEvent } from "@sched/core";
import { InvalidArgumentError, JobAlreadyExistsError } from "@sched/core/adapter";
import { describe, expect, it, type TestContext } from "vitest";
import { waitFor } from "../wait-for.js";
import { requireCapability } from "./capabilities.js";
import {
  at,
  type ConformanceTransaction,
  expectSchedulerError,
  newJob,
  rejectionOf,
  type StoreSuiteContext,
} from "./fixtures.js";

export type { ConformanceTransaction } from "./fixtures.js";

/**
 * Opens a transaction for the running test, which must end it; `withTransaction` rolls back one
 * a failing test left open. Skips the test, naming the capability, for a store without
 * transactions; fails it when the store declares them but the suite was given no way to begin one.
 */
async function withTransaction(
  ctx: StoreSuiteContext,
  test: TestContext,
  run: (tx: ConformanceTransaction) => Promise<void>,
): Promise<void> {
  requireCapability(ctx.store, "transactions", test);
  if (ctx.beginTransaction === undefined) {
    throw new Error(
      "the store declares the transactions capability: give storeConformance a beginTransaction option so that the suite can check it",
    );
  }
  const opened = await ctx.beginTransaction();
  let ended = false;
  const tx: ConformanceTransaction = {
    transaction: opened.transaction,
    commit: async () => {
      ended = true;
      await opened.commit();
    },
    rollback: async () => {
      ended = true;
      await opened.rollback();
    },
  };
  try {
    await run(tx);
  } finally {
    // A test that failed half-way still leaves no transaction (and no connection) behind.
    if (!ended) await opened.rollback().catch(() => {});
  }
}

/** Records the queues of the `jobs` events a listener hears. */
function queueRecorder(): { queues: string[]; listener: (event: StoreEvent) => void } {
  const queues: string[] = [];
  return {
    queues,
    listener: (event) => {
      if (event.type === "jobs") queues.push(event.queue);
    },
  };
}

type Subscribe = NonNullable<Store["subscribe"]>;

/**
 * Subscribes a recorder on the test's store and one on a peer, and waits until each hears jobs
 * created through the other (push connections may be set up asynchronously). Skips the test
 * without the pushedEvents capability or an openPeer option. The caller calls `close()`.
 */
async function listenersOnTwoInstances(
  ctx: StoreSuiteContext,
  test: TestContext,
): Promise<{ here: string[]; there: string[]; close: () => Promise<void> }> {
  requireCapability(ctx.store, "pushedEvents", test);
  if (ctx.openPeer === undefined) test.skip("the suite was given no openPeer");
  const peer = await (ctx.openPeer as () => Promise<Store>)();
  const here = queueRecorder();
  const there = queueRecorder();
  const unsubscribes = [
    (ctx.store.subscribe as Subscribe).call(ctx.store, here.listener),
    (peer.subscribe as Subscribe).call(peer, there.listener),
  ];
  const close = async (): Promise<void> => {
    for (const unsubscribe of unsubscribes) unsubscribe();
    if (peer !== ctx.store) await peer.close();
  };
  try {
    await waitFor(
      async () => {
        await peer.createJobs([newJob({ queue: "probe-here" })]);
        await ctx.store.createJobs([newJob({ queue: "probe-there" })]);
        return here.queues.includes("probe-here") && there.queues.includes("probe-there");
      },
      { description: "the subscribers of both instances to hear a probe", interval: "100ms" },
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { here: here.queues, there: there.queues, close };
}

/**
 * Creates a job outside any transaction in queue `marker` and waits until both recorders heard
 * it: a wake-up sent before the marker's (such as one sent before a commit) has arrived by then.
 */
async function heardMarker(ctx: StoreSuiteContext, here: string[], there: string[], marker: string) {
  await ctx.store.createJobs([newJob({ queue: marker })]);
  await waitFor(() => here.includes(marker) && there.includes(marker), {
    description: `both instances to hear queue ${marker}`,
  });
}

/** Values that are no transaction on any backend. */
const NOT_TRANSACTIONS: ReadonlyArray<readonly [string, unknown]> = [
  ["null", null],
  ["a plain object", {}],
  ["a string", "BEGIN"],
];

/**
 * Application transactions (`createJobs` with `options.transaction`), run when the store declares
 * the `transactions` capability; a store without it must refuse them.
 */
export function describeTransactions(ctx: StoreSuiteContext): void {
  describe("transactions", () => {
    it("jobs created in a transaction are not seen outside it before commit, and exist after", async (test) => {
      await withTransaction(ctx, test, async (tx) => {
        const jobs = [newJob({ queue: "tx" }), newJob({ queue: "tx", payload: { n: 2 } })];
        const created = await ctx.store.createJobs(jobs, { transaction: tx.transaction });
        expect(created.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
        for (const job of created) expect(await ctx.store.getJob(job.id)).toBeNull();
        expect((await ctx.store.listJobs({ queue: "tx" })).jobs).toEqual([]);
        await tx.commit();
        for (const job of jobs) {
          expect(await ctx.store.getJob(job.id)).toMatchObject({
            id: job.id,
            status: "pending",
            queue: "tx",
            payload: job.payload,
          });
        }
      });
    });

    it("jobs created in a transaction that rolls back do not exist", async (test) => {
      await withTransaction(ctx, test, async (tx) => {
        const jobs = [newJob({ queue: "tx" }), newJob({ queue: "tx" })];
        await ctx.store.createJobs(jobs, { transaction: tx.transaction });
        await tx.rollback();
        for (const job of jobs) expect(await ctx.store.getJob(job.id)).toBeNull();
        expect((await ctx.store.listJobs({ queue: "tx" })).jobs).toEqual([]);
      });
    });

    it("stats count a transaction's jobs once it commits, and never those of one rolled back", async (test) => {
      await withTransaction(ctx, test, async (tx) => {
        await ctx.store.createJobs([newJob({ queue: "tx-counted" }), newJob({ queue: "tx-counted" })], {
          transaction: tx.transaction,
        });
        await tx.commit();
      });
      await withTransaction(ctx, test, async (tx) => {
        await ctx.store.createJobs([newJob({ queue: "tx-counted" }), newJob({ queue: "tx-dropped" })], {
          transaction: tx.transaction,
        });
        await tx.rollback();
      });
      await ctx.store.createJobs([
        newJob({ queue: "tx-counted", status: "scheduled", scheduledAt: at(60_000) }),
      ]);
      const stats = await ctx.store.stats();
      expect(stats.byQueue?.["tx-counted"]).toMatchObject({ pending: 2, scheduled: 1 });
      expect(stats.byQueue?.["tx-dropped"]?.pending ?? 0).toBe(0);
      expect(stats).toMatchObject({ pending: 2, scheduled: 1 });
    });

    it("a unique-key conflict inside a transaction is JobAlreadyExistsError naming the key and the job holding it", async (test) => {
      await withTransaction(ctx, test, async (tx) => {
        const [holder] = await ctx.store.createJobs([newJob({ queue: "tx", uniqueKey: "k" })]);
        const error = await rejectionOf(() =>
          ctx.store.createJobs([newJob({ queue: "tx", uniqueKey: "k" })], { transaction: tx.transaction }),
        );
        expectSchedulerError(error, JobAlreadyExistsError, "JOB_ALREADY_EXISTS", {
          uniqueKey: "k",
          existingJobId: holder!.id,
        });
        await tx.rollback();
        expect((await ctx.store.listJobs({ queue: "tx" })).jobs.map((job) => job.id)).toEqual([holder!.id]);
      });
    });

    it("subscribers of every instance hear of a transaction's jobs on commit, not before", async (test) => {
      requireCapability(ctx.store, "transactions", test);
      const { here, there, close } = await listenersOnTwoInstances(ctx, test);
      try {
        await withTransaction(ctx, test, async (tx) => {
          await ctx.store.createJobs([newJob({ queue: "committed" })], { transaction: tx.transaction });
          await heardMarker(ctx, here, there, "before-commit");
          expect(here).not.toContain("committed");
          expect(there).not.toContain("committed");
          await tx.commit();
          await waitFor(() => here.includes("committed") && there.includes("committed"), {
            description: "both instances to hear queue committed after the commit",
          });
        });
      } finally {
        await close();
      }
    });

    it("a transaction that rolls back wakes no subscriber of any instance", async (test) => {
      requireCapability(ctx.store, "transactions", test);
      const { here, there, close } = await listenersOnTwoInstances(ctx, test);
      try {
        await withTransaction(ctx, test, async (tx) => {
          await ctx.store.createJobs([newJob({ queue: "rolled-back" })], { transaction: tx.transaction });
          await tx.rollback();
          await heardMarker(ctx, here, there, "after-rollback");
          expect(here).not.toContain("rolled-back");
          expect(there).not.toContain("rolled-back");
        });
      } finally {
        await close();
      }
    });

    for (const [label, transaction] of NOT_TRANSACTIONS) {
      it(`${label} as the transaction is refused with InvalidArgumentError, and nothing is inserted`, async () => {
        const error = await rejectionOf(() => ctx.store.createJobs([newJob()], { transaction }));
        expectSchedulerError(error, InvalidArgumentError, "INVALID_ARGUMENT", { field: "transaction" });
        expect((await ctx.store.listJobs({})).jobs).toEqual([]);
      });
    }

    it("a store without the transactions capability refuses every transaction with InvalidArgumentError", async (test) => {
      if (ctx.store.capabilities.transactions) {
        test.skip("the store declares the transactions capability: the tests above check its transactions");
      }
      // What would be a transaction on another backend (a client with a query method).
      const transaction = { query: async () => ({ rows: [] }) };
      const error = await rejectionOf(() => ctx.store.createJobs([newJob()], { transaction }));
      expectSchedulerError(error, InvalidArgumentError, "INVALID_ARGUMENT", { field: "transaction" });
      expect((await ctx.store.listJobs({})).jobs).toEqual([]);
    });
  });
}
