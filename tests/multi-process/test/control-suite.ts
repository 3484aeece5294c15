import { createScheduler, type QueueConfig, type Store } from "@sched/core";
import { describe, expect, it } from "vitest";
import { type Instance, logDir, startInstance, stopInstance, waitFor } from "../src/harness.js";
import { type BackendUnderTest, LOCK_TTL } from "./suite.js";

/** Sizes of the control tests; a slow backend (the emulator) runs fewer jobs. */
export interface ControlSizes {
  /** Group keys of the group test, and jobs per key. */
  groups: number;
  jobsPerGroup: number;
  /** Jobs of the rate-limit test, and its limit per second. */
  rateJobs: number;
  ratePerSecond: number;
  /** Jobs of the global-concurrency test, and the limit. */
  concurrencyJobs: number;
  globalConcurrency: number;
}

const DEFAULT_SIZES: ControlSizes = {
  groups: 4,
  jobsPerGroup: 15,
  rateJobs: 100,
  ratePerSecond: 20,
  concurrencyJobs: 200,
  globalConcurrency: 4,
};

/** One run of the "ctl" handler as an instance logged it (times are Date.now() of one machine). */
interface Run {
  instance: string;
  id: string;
  group: string;
  /** The claim's instant (`job.startedAt`): the one the store counts rate windows by. */
  claimedAt: number;
  start: number;
  end: number;
}

/** The runs the instances logged, each "cstart" paired with its "cend". */
function runsOf(instances: Instance[]): Run[] {
  const runs: Run[] = [];
  for (const instance of instances) {
    const open = new Map<string, Omit<Run, "end">>();
    for (const line of instance.lines()) {
      const [kind, id, group, a, b] = line.split(" ");
      if (kind === "cstart")
        open.set(id!, {
          instance: instance.id,
          id: id!,
          group: group!,
          claimedAt: Number(a),
          start: Number(b),
        });
      else if (kind === "cend") {
        const started = open.get(id!);
        if (started) runs.push({ ...started, end: Number(a) });
        open.delete(id!);
      }
    }
  }
  return runs;
}

/**
 * The most runs in progress at one instant. A run ends before another starts at the same
 * millisecond: the handler logs its end before the store hears of it, so a run that follows it
 * under a limit cannot start earlier.
 */
function highestConcurrency(runs: readonly Run[]): number {
  const events = runs.flatMap((r) => [
    { at: r.start, step: 1 },
    { at: r.end, step: -1 },
  ]);
  events.sort((x, y) => x.at - y.at || x.step - y.step);
  let running = 0;
  let highest = 0;
  for (const e of events) {
    running += e.step;
    highest = Math.max(highest, running);
  }
  return highest;
}

/** How many of `times` fall in each window `[k·per, (k+1)·per)` from the Unix epoch, by k. */
function perWindow(times: readonly number[], per: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of times) counts.set(Math.floor(t / per), (counts.get(Math.floor(t / per)) ?? 0) + 1);
  return counts;
}

function byInstance(runs: readonly Run[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.instance, (counts.get(r.instance) ?? 0) + 1);
  return [...counts].map(([id, n]) => `${id} ${n}`).join(", ");
}

/**
 * Starts three instances in control mode on `env`, configures queue "ctl" with `config`, enqueues
 * `jobs` once every instance is ready, and returns every run once all of them completed.
 */
async function runThree(
  env: Record<string, string>,
  store: Store,
  config: QueueConfig,
  jobs: Array<{ group?: string; runAt?: Date; payload?: { ms: number } }>,
  jobMs: number,
  deadlineMs: number,
  workers = 20,
): Promise<Run[]> {
  const producer = createScheduler({ store });
  await producer.configureQueue("ctl", config);
  const dir = logDir();
  const instances = ["p1", "p2", "p3"].map((id) =>
    startInstance(dir, id, {
      ...env,
      MP_MODE: "control",
      MP_LOCK_TTL: String(LOCK_TTL),
      MP_JOB_MS: String(jobMs),
      MP_WORKERS: String(workers),
      // Idle workers look often, so a group freed on one process is often taken by another.
      MP_POLL: "25",
    }),
  );
  try {
    await waitFor(() => instances.every((i) => i.lines().includes("ready")), 30_000, "three instances ready");
    await producer.enqueueMany(jobs.map((job) => ({ name: "ctl", queue: "ctl", maxRetries: 0, ...job })));
    await waitFor(() => runsOf(instances).length >= jobs.length, deadlineMs, `${jobs.length} runs of "ctl"`);
    for (const i of instances) expect(await stopInstance(i)).toBe(0);
    for (const i of instances)
      expect(i.lines().filter((l) => l.startsWith("UNHANDLED") || l.startsWith("error "))).toEqual([]);
    const runs = runsOf(instances);
    // Every job ran, once.
    expect(new Set(runs.map((r) => r.id)).size).toBe(jobs.length);
    expect(runs.length).toBe(jobs.length);
    return runs;
  } finally {
    await Promise.all(instances.map((i) => stopInstance(i)));
  }
}

/**
 * Queue controls enforced by the store across three real processes sharing it: a group
 * concurrency of 1, a rate limit per epoch-aligned window, and a global concurrency limit. Each
 * test prints the highest figure it observed against the limit.
 */
export function controlSuite(backend: BackendUnderTest, sizes: Partial<ControlSizes> = {}): void {
  const s = { ...DEFAULT_SIZES, ...sizes };
  describe(`${backend.name}, queue controls across three processes`, () => {
    it("never runs two jobs of one group at once when the group limit is 1", async () => {
      const { env, store } = await backend.isolate();
      try {
        // Each group's jobs fall due 40 ms apart and run 20 or 60 ms in turn: after a long one the
        // next is already due and would overlap it but for the limit; after a short one the group
        // is idle when its next job falls due, and the processes, all waiting for that instant,
        // race for it, so the group moves between processes.
        const base = Date.now() + 1_000;
        const jobs = Array.from({ length: s.groups * s.jobsPerGroup }, (_, n) => {
          const g = n % s.groups;
          const k = Math.floor(n / s.groups);
          return {
            group: `tenant-${g}`,
            runAt: new Date(base + k * 40 + g * 7),
            payload: { ms: k % 2 ? 60 : 20 },
          };
        });
        const runs = await runThree(env, store, { group: { concurrency: 1 } }, jobs, 30, 30_000, 2);
        const highest = new Map<string, number>();
        for (let g = 0; g < s.groups; g++) {
          const group = `tenant-${g}`;
          highest.set(group, highestConcurrency(runs.filter((r) => r.group === group)));
        }
        const top = Math.max(...highest.values());
        const processesOf = (group: string) =>
          new Set(runs.filter((r) => r.group === group).map((r) => r.instance)).size;
        const movedGroups = [...highest.keys()].filter((group) => processesOf(group) > 1).length;
        // Consecutive runs of one group on different processes.
        let handovers = 0;
        for (const group of highest.keys()) {
          const ordered = runs.filter((r) => r.group === group).sort((x, y) => x.start - y.start);
          for (let k = 1; k < ordered.length; k++)
            if (ordered[k]!.instance !== ordered[k - 1]!.instance) handovers++;
        }
        console.info(
          `group limit 1: highest concurrency observed per group = ${top} (3 processes, ${backend.name}; ` +
            `${s.groups} groups × ${s.jobsPerGroup} jobs of 20 or 60 ms due 40 ms apart, 2 workers per process; runs by process: ` +
            `${byInstance(runs)}; ${movedGroups} groups ran on several processes, ${handovers} hand-overs; all groups together: ${highestConcurrency(runs)})`,
        );
        for (const [group, n] of highest) expect(n, `highest concurrency of ${group}`).toBe(1);
        // The groups ran beside one another, more at once than one process's two workers: the
        // limit is per group, and processes ran them side by side. (Which process takes a group's
        // next job is up to the race between them: the hand-overs are printed, not required.)
        expect(highestConcurrency(runs)).toBeGreaterThan(2);
      } finally {
        await store.close();
      }
    });

    it("starts at most max jobs in every epoch-aligned window of a rate limit", async () => {
      const { env, store } = await backend.isolate();
      const max = s.ratePerSecond;
      try {
        const jobs = Array.from({ length: s.rateJobs }, () => ({}));
        const deadline = (s.rateJobs / max) * 1000 + 20_000;
        const runs = await runThree(env, store, { rateLimit: { max, per: "1s" } }, jobs, 5, deadline);
        const claims = perWindow(
          runs.map((r) => r.claimedAt),
          1000,
        );
        const handlerStarts = perWindow(
          runs.map((r) => r.start),
          1000,
        );
        const top = Math.max(...claims.values());
        console.info(
          `rate limit ${max} per 1s: highest jobs started per window observed = ${top} of ${max} ` +
            `(3 processes, ${backend.name}; ${s.rateJobs} jobs over ${claims.size} windows; ` +
            `by handler start instead of claim: ${Math.max(...handlerStarts.values())}; runs by process: ${byInstance(runs)})`,
        );
        for (const [window, n] of claims)
          expect(n, `jobs started in window ${window}`).toBeLessThanOrEqual(max);
        // Enough windows were needed: without the limit the jobs would have started within one.
        expect(claims.size).toBeGreaterThanOrEqual(Math.ceil(s.rateJobs / max));
      } finally {
        await store.close();
      }
    });

    it("never runs more jobs of a queue at once than its global concurrency", async () => {
      const { env, store } = await backend.isolate();
      const limit = s.globalConcurrency;
      try {
        const jobs = Array.from({ length: s.concurrencyJobs }, () => ({}));
        // Fewer workers per process than the limit, more in all: only processes together can reach
        // the limit, and only the store keeps them from passing it.
        const workers = Math.ceil(limit / 2);
        const runs = await runThree(env, store, { concurrency: limit }, jobs, 40, 30_000, workers);
        const top = highestConcurrency(runs);
        console.info(
          `global concurrency ${limit}: highest concurrency observed = ${top} (3 processes × ${workers} workers, ` +
            `${backend.name}; ${s.concurrencyJobs} jobs of 40 ms; runs by process: ${byInstance(runs)})`,
        );
        expect(top).toBeLessThanOrEqual(limit);
        // Jobs ran on several processes at once.
        expect(top).toBeGreaterThan(workers);
      } finally {
        await store.close();
      }
    });
  });
}
