import {
  ACTIVE_STATUSES,
  type CreateJobsOptions,
  InvalidArgumentError,
  type Job,
  JobAlreadyExistsError,
  MemoryStore,
  type NewJobRecord,
  type StoreCapabilities,
} from "@sched/core";
import { storeConformance, storeSchedulerScenarios } from "../src/conformance/index.js";

/** A transaction of {@link TransactionalMemoryStore}: the jobs it holds until it commits. */
class BufferedTransaction {
  readonly jobs: NewJobRecord[] = [];
}

/**
 * A store that declares transactions, as a backend with them would: jobs created in a
 * {@link BufferedTransaction} are checked for unique-key conflicts at once, stored (and their
 * wake-ups sent) on commit, and dropped on rollback. It runs the suite's transactions group
 * without a database server.
 */
class TransactionalMemoryStore extends MemoryStore {
  override readonly capabilities: StoreCapabilities = { transactions: true, pushedEvents: true };

  override async createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions<unknown>): Promise<Job[]> {
    const transaction = options?.transaction;
    if (transaction === undefined) return super.createJobs(jobs);
    if (!(transaction instanceof BufferedTransaction)) {
      throw new InvalidArgumentError("transaction", "expected a BufferedTransaction");
    }
    for (const job of jobs) {
      if (job.uniqueKey === null) continue;
      const holders = (await this.listJobs({ queue: job.queue, status: [...ACTIVE_STATUSES] })).jobs;
      const holder = holders.find((stored) => stored.uniqueKey === job.uniqueKey);
      if (holder !== undefined) throw new JobAlreadyExistsError(job.uniqueKey, holder.id, job.queue);
    }
    transaction.jobs.push(...jobs);
    return jobs.map(
      (job): Job => ({
        ...job,
        group: job.group ?? null,
        attempt: 0,
        lostLeases: 0,
        retryCount: 0,
        startedAt: null,
        completedAt: null,
        error: null,
        lockedBy: null,
        lockedUntil: null,
        history: [],
      }),
    );
  }

  /** Stores the jobs of `transaction`, as a commit would. */
  async commit(transaction: BufferedTransaction): Promise<void> {
    await super.createJobs(transaction.jobs.splice(0));
  }
}

storeConformance("MemoryStore declaring transactions", () => new TransactionalMemoryStore(), {
  openPeer: (store) => store,
  beginTransaction: async (store) => {
    const transaction = new BufferedTransaction();
    return {
      transaction,
      commit: () => (store as TransactionalMemoryStore).commit(transaction),
      rollback: async () => {
        transaction.jobs.length = 0;
      },
    };
  },
});

/** A store that declares neither capability: its subscribe (inherited) is not run by the suites. */
class QuietMemoryStore extends MemoryStore {
  override readonly capabilities: StoreCapabilities = { transactions: false, pushedEvents: false };
}

storeConformance("MemoryStore declaring no capability", () => new QuietMemoryStore(), {
  openPeer: (store) => store,
});
storeSchedulerScenarios("MemoryStore declaring no capability", () => new QuietMemoryStore(), {
  openPeer: (store) => store,
});
