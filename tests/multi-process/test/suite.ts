import { createScheduler, type Store } from "@sched/core";
import { describe, expect, it as vitestIt } from "vitest";
import {
  type Instance,
  killInstance,
  leads,
  logDir,
  runScript,
  startInstance,
  stopInstance,
  waitFor,
} from "../src/harness.js";

/** Lease TTL of the instances: short, so failover and lease recovery happen within the tests. */
export const LOCK_TTL = 2000;

/** What the shared multi-process suite needs from one backend. */
export interface BackendUnderTest {
  /** Shown in the suite's name. */
  name: string;
  /** Fresh, isolated storage (a schema, a key prefix) for one test: the instances' environment and a store on it. */
  isolate(): Promise<{ env: Record<string, string>; store: Store }>;
  /** Environment for a worker whose connections `dropConnections` can find. */
  traceable(
    env: Record<string, string>,
  ): { env: Record<string, string>; tag: string } | Promise<{ env: Record<string, string>; tag: string }>;
  /** Makes the server drop every connection of the worker tagged `tag`; returns how many. */
  dropConnections(tag: string): Promise<number>;
  /** The `SCHEDULER_*` variables that point `createSchedulerFromEnv` at the storage of `env`. */
  schedulerEnv(env: Record<string, string>): Record<string, string>;
  /** How many jobs the killed-worker test enqueues; default 10,000 (fewer for a slow emulator). */
  killedWorkerJobs?: number;
  /** Tests this backend cannot run, by name, with the reason: reported as skipped. */
  skip?: Readonly<Record<string, string>>;
}

/** Lines of `kind` ("tick", "start", "done") as { key, id }. */
function parse(lines: string[], kind: string): Array<{ key: string; id: string }> {
  return lines
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => {
      const [, key, id] = l.split(" ");
      return { key: key!, id: id! };
    });
}

function noUnhandled(instances: Instance[]): void {
  for (const i of instances) expect(i.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
}

async function enqueueWork(store: Store, total: number): Promise<void> {
  const producer = createScheduler({ store });
  for (let i = 0; i < total; i += 2000) {
    const size = Math.min(2000, total - i);
    await producer.enqueueMany(
      Array.from({ length: size }, (_, k) => ({ name: "work", payload: { n: i + k }, maxRetries: 5 })),
    );
  }
}

/**
 * The multi-instance guarantees of docs/architecture.md §2 and §4, checked with real child processes
 * sharing one backend: exactly-once cron ticks across a SIGKILLed leader, no job lost when a
 * worker is killed, and recovery when the server drops the connections.
 */
export function multiProcessSuite(backend: BackendUnderTest): void {
  /** vitest's `it`, skipping (by name, with the reason) the tests the backend lists in `skip`. */
  const it = (name: string, run: () => Promise<void>): void =>
    vitestIt(name, async (test) => {
      const reason = backend.skip?.[name];
      if (reason !== undefined) test.skip(reason);
      await run();
    });
  describe(`${backend.name}, several processes`, () => {
    it("fires every cron tick exactly once while the leader is killed with SIGKILL", async () => {
      const { env, store } = await backend.isolate();
      await store.close();
      const dir = logDir();
      const instances = ["a", "b", "c"].map((id) =>
        startInstance(dir, id, { ...env, MP_MODE: "cron", MP_LOCK_TTL: String(LOCK_TTL) }),
      );
      try {
        await waitFor(() => instances.some(leads), 15_000, "a leader");
        await new Promise((r) => setTimeout(r, 8000));
        const leader = instances.find(leads)!;
        const killedAt = Date.now();
        await killInstance(leader);
        const survivors = instances.filter((i) => i !== leader);
        await waitFor(() => survivors.some(leads), LOCK_TTL * 3, "a new leader");
        await new Promise((r) => setTimeout(r, 8000));
        for (const i of survivors) expect(await stopInstance(i)).toBe(0);

        const jobsByTick = new Map<string, Set<string>>();
        for (const t of instances.flatMap((i) => parse(i.lines(), "tick"))) {
          jobsByTick.set(t.key, (jobsByTick.get(t.key) ?? new Set()).add(t.id));
        }
        // Exactly once: one job per tick, never two.
        for (const [tick, ids] of jobsByTick) expect(ids.size, `tick ${tick}`).toBe(1);
        const times = [...jobsByTick.keys()].map((t) => Date.parse(t)).sort((a, b) => a - b);
        expect(times.length).toBeGreaterThanOrEqual(12);
        // The failover gap is at most lockTTL plus one tick (and some scheduling slack).
        const gaps = times.slice(1).map((t, i) => t - times[i]!);
        expect(Math.max(...gaps)).toBeLessThanOrEqual(LOCK_TTL + 1000 + 1000);
        expect(times.some((t) => t > killedAt + LOCK_TTL)).toBe(true);
        noUnhandled(instances);
      } finally {
        await Promise.all(instances.map((i) => stopInstance(i)));
      }
    });

    it("loses no job when one of three worker processes is killed mid-run", async () => {
      const { env, store } = await backend.isolate();
      const total = backend.killedWorkerJobs ?? 10_000;
      const dir = logDir();
      const instances = ["w1", "w2", "w3"].map((id) =>
        startInstance(dir, id, { ...env, MP_MODE: "jobs", MP_LOCK_TTL: String(LOCK_TTL), MP_JOB_MS: "2" }),
      );
      try {
        // The work goes in once every worker is started: a process that started late (a loaded
        // machine) could otherwise find the others done with every job before its first claim.
        await waitFor(
          () => instances.every((i) => i.lines().includes("ready")),
          30_000,
          "the three workers to start",
        );
        await enqueueWork(store, total);
        const done = () => instances.flatMap((i) => parse(i.lines(), "done")).length;
        const victim = instances[0]!;
        // Wait for the victim's first job as well, so that the kill is mid-run for it.
        await waitFor(
          () => done() >= total / 4 && parse(victim.lines(), "done").length > 0,
          60_000,
          "a quarter of the jobs, one of them on the victim",
        );
        await killInstance(victim);
        // The kill lands mid-run: work was left for the others, and the victim had taken part.
        expect(done()).toBeLessThan(total);
        expect(parse(victim.lines(), "done").length).toBeGreaterThan(0);
        await waitFor(async () => (await store.stats()).completed === total, 90_000, "every job completed");
        for (const i of instances.slice(1)) expect(await stopInstance(i)).toBe(0);

        const all = instances.flatMap((i) => parse(i.lines(), "done"));
        expect(new Set(all.map((d) => d.key)).size).toBe(total);
        // Only jobs that were in flight on the killed process (started there, and not yet
        // acknowledged when it died) may have run twice.
        const startedOnVictim = new Set(parse(victim.lines(), "start").map((s) => s.key));
        const counts = new Map<string, number>();
        for (const d of all) counts.set(d.key, (counts.get(d.key) ?? 0) + 1);
        for (const [n, c] of counts)
          if (c > 1) expect(startedOnVictim.has(n), `job ${n} ran twice`).toBe(true);
        noUnhandled(instances);
      } finally {
        await Promise.all(instances.map((i) => stopInstance(i)));
        await store.close();
      }
    });

    it("runs each dead job's dead-letter handler on another process after the first was killed mid-handler", async () => {
      const { env, store } = await backend.isolate();
      const producer = createScheduler({ store });
      const doomed = await producer.enqueueMany(Array.from({ length: 5 }, () => ({ name: "doomed" })));
      const ids = doomed.map((job) => job.id).sort();
      const dir = logDir();
      const first = startInstance(dir, "first", {
        ...env,
        MP_MODE: "deadletter",
        MP_DL_HANG: "1",
        MP_LOCK_TTL: String(LOCK_TTL),
      });
      let second: Instance | undefined;
      try {
        const started = (i: Instance) =>
          i
            .lines()
            .filter((l) => l.startsWith("dl-start "))
            .map((l) => l.split(" ")[1]!);
        const finished = (i: Instance) =>
          i
            .lines()
            .filter((l) => l.startsWith("dl-done "))
            .map((l) => l.split(" ")[1]!);
        await waitFor(
          () => new Set(started(first)).size === 5,
          30_000,
          "the five dead-letter handlers to start",
        );
        await killInstance(first);
        expect(finished(first)).toEqual([]);
        for (const id of ids) expect((await store.getJob(id))?.status).toBe("dead");
        second = startInstance(dir, "second", {
          ...env,
          MP_MODE: "deadletter",
          MP_LOCK_TTL: String(LOCK_TTL),
        });
        await waitFor(
          () => new Set(finished(second!)).size === 5,
          30_000,
          "the dead letters to be handled again",
        );
        expect([...new Set(finished(second))].sort()).toEqual(ids);
        expect(
          second
            .lines()
            .filter((l) => l.startsWith("dl-start "))
            .every((l) => l.includes(" dead doomed")),
        ).toBe(true);
        await waitFor(
          async () => (await store.listJobs({ name: "dead", status: "completed" })).jobs.length === 5,
          10_000,
          "the dead-letter jobs to complete",
        );
        noUnhandled([first, second]);
      } finally {
        await killInstance(first);
        if (second) await stopInstance(second);
        await store.close();
      }
    });

    it("five processes defining one schedule name differently at once agree on one definition, the latest, and the others are told", async () => {
      const { env, store } = await backend.isolate();
      await store.close();
      const dir = logDir();
      const expressions = ["0 1 * * *", "0 2 * * *", "0 3 * * *", "0 4 * * *", "0 5 * * *"];
      const instances = expressions.map((expression, i) =>
        startInstance(dir, `d${i}`, {
          ...env,
          MP_MODE: "define",
          MP_EXPR: expression,
          MP_LOCK_TTL: String(LOCK_TTL),
        }),
      );
      try {
        const last = (i: Instance, kind: string) =>
          i
            .lines()
            .filter((l) => l.startsWith(`${kind} `))
            .at(-1)
            ?.split(" ");
        await waitFor(
          () => instances.every((i) => last(i, "defined") !== undefined),
          30_000,
          "every definition",
        );
        // Each process later reads what is stored: every one must see the same definition.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const finals = instances.map((i) => last(i, "stored")?.slice(1).join(" "));
        expect(new Set(finals).size).toBe(1);
        const [expression, definedAt, definedBy] = finals[0]!.split(" ");
        // The stored definition is the latest any process wrote: none was written after it.
        for (const i of instances) {
          const [, , at, by] = last(i, "defined")!;
          if (by === i.id) expect(Number(at)).toBeLessThanOrEqual(Number(definedAt));
        }
        const winner = instances.find((i) => i.id === definedBy)!;
        expect(expressions[instances.indexOf(winner)]).toBe(expression!.replaceAll("_", " "));
        // Every other process was told, once.
        for (const i of instances) {
          const told = i
            .lines()
            .filter((l) => l.includes('warn schedule "x" is stored with another definition'));
          expect(told.length, `warnings of ${i.id}`).toBe(i === winner ? 0 : 1);
        }
        noUnhandled(instances);
      } finally {
        await Promise.all(instances.map((i) => stopInstance(i)));
      }
    });

    it("a producer-only process (createSchedulerFromEnv, enqueue, stop without start) exits on its own", async () => {
      const { env, store } = await backend.isolate();
      try {
        const run = await runScript("./producer.mjs", backend.schedulerEnv(env), 15_000);
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^enqueued \S+\nstopped\n$/);
        const id = /^enqueued (\S+)/.exec(run.stdout)![1]!;
        expect(await store.getJob(id)).toMatchObject({
          name: "produced",
          status: "pending",
          payload: { n: 1 },
        });
      } finally {
        await store.close();
      }
    });

    it("goes on when the server drops the scheduler's connections, losing nothing", async () => {
      const { env: base, store } = await backend.isolate();
      const total = 3000;
      await enqueueWork(store, total);
      const { env, tag } = await backend.traceable(base);
      const worker = startInstance(logDir(), "w", {
        ...env,
        MP_MODE: "jobs",
        MP_LOCK_TTL: String(LOCK_TTL),
        MP_JOB_MS: "5",
        MP_WORKERS: "10",
      });
      try {
        const done = () => parse(worker.lines(), "done").length;
        await waitFor(() => done() >= 300, 60_000, "some progress");
        expect(await backend.dropConnections(tag)).toBeGreaterThan(0);
        const afterDrop = done();
        await waitFor(() => done() > afterDrop + 300, 60_000, "progress after the connections were dropped");
        await waitFor(async () => (await store.stats()).completed === total, 90_000, "every job completed");
        expect(await stopInstance(worker)).toBe(0);
        expect(new Set(parse(worker.lines(), "done").map((d) => d.key)).size).toBe(total);
        noUnhandled([worker]);
        expect(worker.lines()).toContain("stopped");
      } finally {
        await stopInstance(worker);
        await store.close();
      }
    });
  });
}
