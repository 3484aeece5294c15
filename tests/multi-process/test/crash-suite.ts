import { createScheduler } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import { PrivatePostgres } from "@sched/test-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Instance, logDir, startInstance, stopInstance, waitFor } from "../src/harness.js";

/** One run of a handler, as the instances logged it. */
interface Run {
  readonly job: string;
  readonly attempt: number;
  readonly holder: string;
  /** The fencing token of the run's lease: attempt and holder. */
  readonly token: string;
  readonly instance: string;
  readonly start: number;
  /** When it ended or was aborted; `Infinity` when it never did. */
  finish: number;
  aborted: boolean;
}

/** The runs an instance logged, start lines paired with the end or abort that followed. */
function runsOf(instance: Instance): Run[] {
  const runs: Run[] = [];
  const open = new Map<string, Run>();
  for (const line of instance.lines()) {
    const [kind, job, attempt, holder, ms] = line.split(" ");
    if (kind !== "run-start" && kind !== "run-end" && kind !== "run-abort") continue;
    const token = `${job} ${attempt} ${holder}`;
    if (kind === "run-start") {
      const run: Run = {
        job: job!,
        attempt: Number(attempt),
        holder: holder!,
        token,
        instance: instance.id,
        start: Number(ms),
        finish: Number.POSITIVE_INFINITY,
        aborted: false,
      };
      runs.push(run);
      open.set(token, run);
    } else {
      const run = open.get(token);
      if (run === undefined) continue;
      run.finish = Number(ms);
      run.aborted = kind === "run-abort";
      open.delete(token);
    }
  }
  return runs;
}

/** `items` by `key` (Map.groupBy, which Node.js 20 lacks). */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group === undefined) groups.set(key(item), [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * Lease settings of the instances: a lease long enough to outlive a restart, renewed every 2 s, so
 * that after a crash another instance (with free workers, woken by its connected event) usually
 * claims a job whose claim was lost before its first holder renews: the case the holder in the
 * fencing token is for.
 */
const LOCK_TTL = 15_000;
const LOCK_REFRESH = 2_000;
/** Each job runs this long unless aborted: longer than a stale run may take to be found out. */
const JOB_MS = 10_000;
/**
 * A stale run (its claim was lost, and the job was claimed again by another holder) must be
 * aborted within this long after the new run started: its next lease renewal finds the lease gone.
 * Renewals come every 2 s, backing off (4 s) when one failed while the server was down.
 */
const STALE_RUN_ABORTED_WITHIN_MS = 6_000;

/**
 * Claims commit asynchronously (synchronous_commit off), so a crash of the server can lose a claim
 * whose handler has started, and hand the same attempt number out again, maybe to another instance.
 * Three worker processes run jobs while the server is crashed (pg_ctl stop -m immediate) and
 * restarted, round after round, each crash right after a round's jobs were claimed: the fencing
 * token (attempt, holder) must never run twice at once, a run whose claim was lost must be aborted
 * at its next lease renewal, and every job must complete.
 */
export function crashSuite(): void {
  describe("PostgreSQL crashing under load, several processes", () => {
    // The WAL writer flushes asynchronous commits every 200 ms by default; every 10 s keeps a
    // round's claims in memory until the crash unless another commit flushes them first, so that
    // claims are lost as they can be in any crash, only more often.
    const server = new PrivatePostgres({ settings: { wal_writer_delay: "10000ms" } });
    beforeAll(async () => {
      await server.start();
      const store = new PostgresStore({ connectionString: server.url });
      await store.migrate();
      await store.close();
    }, 60_000);
    afterAll(() => server.remove());

    it("a fencing token (attempt, holder) never runs twice at once, a stale run is aborted at its next renewal, and no job is lost", async () => {
      const dir = logDir();
      const env = {
        SCHED_BACKEND: "postgres",
        MP_POSTGRES_URL: server.url,
        MP_SCHEMA: "public",
        MP_MODE: "fencing",
        MP_WORKERS: "8",
        MP_POLL: "200",
        MP_LOCK_TTL: String(LOCK_TTL),
        MP_LOCK_REFRESH: String(LOCK_REFRESH),
        // Crashes must not make a job dead: leases that expire in an outage are lost leases.
        MP_MAX_LEASE_RECOVERIES: "100",
        MP_JOB_MS: String(JOB_MS),
      };
      const instances = ["a", "b", "c"].map((id) => startInstance(dir, id, env));
      const store = new PostgresStore({ connectionString: server.url, connectionTimeout: "2s" });
      const producer = createScheduler({ store });
      const ids: string[] = [];
      const crashes: number[] = [];
      try {
        await waitFor(() => instances.every((i) => i.lines().includes("ready")), 20_000, "the instances");
        const rounds = 8;
        for (let round = 0; round < rounds; round++) {
          const jobs = Array.from({ length: 6 }, (_, n) => ({
            name: "fence",
            payload: { round, n },
            maxRetries: 10,
          }));
          let enqueued: Array<{ id: string }> = [];
          await waitFor(
            async () => {
              enqueued = await producer.enqueueMany(jobs).catch(() => []);
              return enqueued.length > 0;
            },
            20_000,
            `the jobs of round ${round} to be enqueued`,
          );
          const round_ = new Set(enqueued.map((job) => job.id));
          ids.push(...round_);
          // Crash as soon as a handler of this round has started: its claim is likely not on disk
          // yet (looked for every 10 ms: any commit in between, a renewal say, flushes it).
          const started = () =>
            instances.some((i) =>
              i.lines().some((l) => l.startsWith("run-start ") && round_.has(l.split(" ")[1]!)),
            );
          const deadline = Date.now() + 20_000;
          while (!started()) {
            if (Date.now() > deadline) throw new Error(`no job of round ${round} started`);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          crashes.push(Date.now());
          await server.restart("immediate");
          await new Promise((resolve) => setTimeout(resolve, 3_000));
        }

        // Every job completes.
        await waitFor(
          async () => {
            const done = await store
              .listJobs({ status: "completed", limit: 1_000 })
              .then((page) => page.jobs)
              .catch(() => []);
            return done.length === ids.length;
          },
          120_000,
          "every job to complete",
        );
        for (const instance of instances) expect(await stopInstance(instance)).toBe(0);
      } finally {
        await Promise.all(instances.map((instance) => stopInstance(instance)));
        await store.close();
      }

      for (const instance of instances) {
        expect(instance.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
      }
      const runs = instances.flatMap(runsOf);
      expect(crashes.length).toBeGreaterThanOrEqual(5);

      // No token runs twice at once.
      const byToken = groupBy(runs, (run) => run.token);
      const twice: string[] = [];
      for (const [token, same] of byToken) {
        same.sort((a, b) => a.start - b.start);
        for (let i = 1; i < same.length; i++) {
          if (same[i]!.start < same[i - 1]!.finish) twice.push(token);
        }
      }
      expect(twice.join("\n")).toBe("");

      // A run overtaken by a run of another token (its claim was lost, or its lease expired) is
      // aborted soon after.
      const stale: string[] = [];
      const abortDelays: number[] = [];
      for (const [, same] of groupBy(runs, (run) => run.job)) {
        for (const old of same) {
          const newer = same
            .filter((run) => run.token !== old.token && run.start > old.start && run.start < old.finish)
            .sort((a, b) => a.start - b.start)[0];
          if (newer === undefined) continue;
          const delay = old.finish - newer.start;
          abortDelays.push(delay);
          if (!old.aborted || delay > STALE_RUN_ABORTED_WITHIN_MS) {
            stale.push(
              `${old.token} on ${old.instance}: ${old.aborted ? "aborted" : "ended"} ${delay} ms after ${newer.token} started on ${newer.instance}`,
            );
          }
        }
      }
      expect(stale.join("\n")).toBe("");

      // The crashes did lose claims (an attempt was handed out again), and did overtake runs in
      // progress: otherwise this test proved nothing.
      const lostClaims = [...groupBy(runs, (run) => `${run.job} ${run.attempt}`).values()].filter(
        (same) => same.length > 1,
      ).length;
      expect(lostClaims, "attempts handed out again after a crash").toBeGreaterThan(0);
      expect(abortDelays.length, "runs overtaken by a run of another holder").toBeGreaterThan(0);

      // No job is lost: each completed, and ran to its end at least once.
      const ended = new Set(
        runs.filter((run) => !run.aborted && Number.isFinite(run.finish)).map((run) => run.job),
      );
      expect(ids.filter((id) => !ended.has(id))).toEqual([]);
      console.info(
        `crash suite: ${crashes.length} crashes, ${ids.length} jobs, ${runs.length} runs, ${lostClaims} attempts handed out again, ${abortDelays.length} stale runs aborted after at most ${Math.max(0, ...abortDelays)} ms`,
      );
    }, 240_000);
  });
}
