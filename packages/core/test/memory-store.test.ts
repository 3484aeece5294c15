import { describe, expect, it } from "vitest";
import { uuidv7Generator } from "../src/jobs/ids.js";
import { MemoryStore } from "../src/memory/index.js";
import type { ClaimOptions, NewJobRecord, Store, StoreEvent } from "../src/store/store.js";
import { seededRandom } from "./helpers.js";

const T0 = Date.UTC(2030, 0, 1);
const at = (ms: number): Date => new Date(T0 + ms);
const nextId = uuidv7Generator();

function newJob(overrides: Partial<NewJobRecord> = {}): NewJobRecord {
  return {
    id: nextId(),
    name: "job",
    payload: { n: 1 },
    queue: "default",
    priority: 0,
    maxRetries: 3,
    timeout: 1_000,
    scheduledAt: at(0),
    createdAt: at(0),
    status: "pending",
    metadata: {},
    uniqueKey: null,
    ...overrides,
  };
}

function claimAt(now: number, overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  return {
    queues: null,
    names: null,
    limit: 100,
    now: at(now),
    lockedUntil: at(now + 60_000),
    workerId: "w",
    ...overrides,
  };
}

interface ModelJob {
  id: string;
  name: string;
  queue: string;
  priority: number;
  scheduledAt: number;
  waiting: boolean;
  attempt: number;
}

const claimOrder = (a: ModelJob, b: ModelJob): number =>
  b.priority - a.priority || a.scheduledAt - b.scheduledAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe("MemoryStore heaps", () => {
  // The share of jobs with a priority other than 0: queues switch between the single-heap mode
  // (all waiting jobs share a priority) and the mixed mode, and back when they run empty.
  const cases = [
    { seed: 1, mixed: 1 },
    { seed: 2, mixed: 1 },
    { seed: 3, mixed: 0.02 },
    { seed: 4, mixed: 0.005 },
    { seed: 5, mixed: 0 },
  ];
  for (const { seed, mixed } of cases) {
    it(`claims and nextDueAt match a sorted model under random inserts, retries and cancels (seed ${seed}, ${mixed * 100}% mixed priorities)`, async () => {
      const rand = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
      const store = new MemoryStore();
      const queues = ["a", "b", "c", "d"];
      const jobNames = ["x", "y", "z"];
      const model = new Map<string, ModelJob>();
      let now = 0;

      for (let round = 0; round < 200; round++) {
        // Insert a random batch, some due and some in the future.
        const batch = Array.from({ length: Math.floor(rand() * 30) }, () => {
          const scheduledAt = now + Math.floor(rand() * 2_000) - 500;
          return newJob({
            name: pick(jobNames),
            queue: pick(queues),
            priority: rand() < mixed ? Math.floor(rand() * 5) - 1 : 0,
            scheduledAt: at(scheduledAt),
            status: scheduledAt > now ? "scheduled" : "pending",
          });
        });
        await store.createJobs(batch);
        for (const job of batch) {
          model.set(job.id, {
            id: job.id,
            name: job.name,
            queue: job.queue,
            priority: job.priority,
            scheduledAt: job.scheduledAt.getTime() - T0,
            waiting: true,
            attempt: 0,
          });
        }

        // Time mostly moves forward, sometimes backwards (now is passed in, not read).
        now += Math.floor(rand() * 400) - 80;

        const selected = rand() < 0.3 ? null : queues.filter(() => rand() < 0.5);
        const names = rand() < 0.5 ? null : jobNames.filter(() => rand() < 0.6);
        const waiting = [...model.values()].filter((job) => job.waiting);
        const inQueues = (job: ModelJob): boolean =>
          (selected === null || selected.includes(job.queue)) && (names === null || names.includes(job.name));

        const dueAts = waiting.filter(inQueues).map((job) => job.scheduledAt);
        const expectedNext = dueAts.length === 0 ? null : at(Math.min(...dueAts));
        expect(await store.nextDueAt({ queues: selected, names })).toEqual(expectedNext);

        const limit = 1 + Math.floor(rand() * 25);
        const expected = waiting
          .filter((job) => inQueues(job) && job.scheduledAt <= now)
          .sort(claimOrder)
          .slice(0, limit);
        const claimed = await store.claimDueJobs(claimAt(now, { queues: selected, names, limit }));
        expect(claimed.map((job) => job.id)).toEqual(expected.map((job) => job.id));

        for (const job of claimed) {
          const entry = model.get(job.id)!;
          entry.waiting = false;
          entry.attempt = job.attempt;
          const fate = rand();
          if (fate < 0.4) {
            await store.completeJobs(
              [{ id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w" }],
              {
                now: at(now),
              },
            );
          } else if (fate < 0.8) {
            const retryAt = now + Math.floor(rand() * 1_000) - 200;
            await store.failJob(
              { id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w" },
              { now: at(now), error: "x", retryAt: at(retryAt) },
            );
            entry.waiting = true;
            entry.scheduledAt = retryAt;
          }
          // Otherwise it stays running.
        }

        // Cancel a few waiting jobs.
        for (const job of waiting.filter((entry) => entry.waiting && rand() < 0.05)) {
          await store.cancelJob(job.id, at(now));
          job.waiting = false;
        }
      }

      const stats = await store.stats();
      expect(stats.pending + stats.scheduled + stats.failed).toBe(
        [...model.values()].filter((j) => j.waiting).length,
      );
      await store.close();
    });
  }

  it("a claim that lists a queue twice claims each job once", async () => {
    const store = new MemoryStore();
    const jobs = [newJob({ queue: "a" }), newJob({ queue: "a" }), newJob({ queue: "b" })];
    await store.createJobs(jobs);
    const claimed = await store.claimDueJobs(claimAt(0, { queues: ["a", "a", "b"] }));
    expect(claimed.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
    expect(claimed.every((job) => job.attempt === 1)).toBe(true);
  });

  it("claims 20,000 jobs across queues in claim order", async () => {
    const store = new MemoryStore();
    const jobs = Array.from({ length: 20_000 }, (_, i) =>
      newJob({ queue: `q${i % 4}`, priority: i % 3, scheduledAt: at(-(i % 100)) }),
    );
    await store.createJobs(jobs);
    const claimed: string[] = [];
    for (;;) {
      const batch = await store.claimDueJobs(claimAt(0, { limit: 512 }));
      if (batch.length === 0) break;
      claimed.push(...batch.map((job) => job.id));
    }
    const expected = jobs
      .map((job) => ({ id: job.id, priority: job.priority, scheduledAt: job.scheduledAt.getTime() }))
      .sort((a, b) => b.priority - a.priority || a.scheduledAt - b.scheduledAt || (a.id < b.id ? -1 : 1))
      .map((job) => job.id);
    expect(claimed).toEqual(expected);
  });
});

describe("MemoryStore id order", () => {
  it("breaks ties by id in string order, whatever the ids look like", async () => {
    const store = new MemoryStore();
    const ids = [
      "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c",
      "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
      "0190a1b2-c3d4-7e5f-8a9b-ffffffffffff",
      "0190a1b2-c3d4-7e5e-ffff-ffffffffffff",
      "job-2",
      "job-10",
      "0",
      "zzz",
    ];
    await store.createJobs(ids.map((id) => newJob({ id })));
    const claimed = await store.claimDueJobs(claimAt(0));
    expect(claimed.map((j) => j.id)).toEqual([...ids].sort());
    await store.close();
  });
});

describe("MemoryStore copies", () => {
  it("jobs returned by every method are fresh objects that do not alias stored state", async () => {
    const store = new MemoryStore();
    const [created] = await store.createJobs([newJob({ metadata: { a: "1" } })]);
    const [claimed] = await store.claimDueJobs(claimAt(0));
    const failed = await store.failJob(
      { id: claimed!.id, queue: "default", attempt: 1, lockedBy: "w" },
      { now: at(1), error: "e", retryAt: at(2) },
    );
    const listed = (await store.listJobs({})).jobs;
    const got = await store.getJob(created!.id);
    const snapshot = await store.getJob(created!.id);
    for (const job of [created!, claimed!, failed!, listed[0]!, got!]) {
      job.metadata.a = "changed";
      job.scheduledAt.setTime(0);
      job.startedAt?.setTime(0);
      job.history.push({ attempt: 99, error: "fake", failedAt: new Date(0) });
      job.history[0]?.failedAt.setTime(0);
      job.retryCount = 42;
    }
    expect(await store.getJob(created!.id)).toEqual(snapshot);
  });

  it("copies payloads on insert and on every read: no two callers share one", async () => {
    const store = new MemoryStore();
    const payload = { nested: { list: [1, 2] } };
    const [created] = await store.createJobs([newJob({ payload })]);
    payload.nested.list.push(3);
    expect(created!.payload).toEqual({ nested: { list: [1, 2] } });
    expect(created!.payload).not.toBe(payload);
    const [claimed] = await store.claimDueJobs(claimAt(0));
    expect(claimed!.payload).toEqual({ nested: { list: [1, 2] } });
    expect(claimed!.payload).not.toBe(created!.payload);
    (claimed!.payload as { nested: { list: number[] } }).nested.list.push(4);
    expect((await store.getJob(claimed!.id))!.payload).toEqual({ nested: { list: [1, 2] } });
  });

  it("payloads that are not plain JSON data are copied too", async () => {
    const store = new MemoryStore();
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const deep = JSON.parse(`${"[".repeat(100)}1${"]".repeat(100)}`) as unknown;
    const withProtoKey = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const payloads: unknown[] = [{ when: new Date(5), tags: new Set(["x"]) }, cyclic, deep, withProtoKey];
    const created = await store.createJobs(payloads.map((payload) => newJob({ payload })));
    expect(created[0]!.payload).toEqual({ when: new Date(5), tags: new Set(["x"]) });
    const loop = created[1]!.payload as Record<string, unknown>;
    expect(loop).not.toBe(cyclic);
    expect(loop.self).toBe(loop);
    expect(created[2]!.payload).toEqual(deep);
    const copied = created[3]!.payload as Record<string, unknown>;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.keys(copied)).toEqual(["__proto__", "a"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("rejects a payload holding something structuredClone cannot copy", async () => {
    const store = new MemoryStore();
    class WithMethod {
      run = (): number => 1;
    }
    await expect(store.createJobs([newJob({ payload: new WithMethod() })])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "payload",
    });
    await expect(store.createJobs([newJob({ payload: { s: Symbol("x") } })])).rejects.toMatchObject({
      field: "payload",
    });
  });

  it("schedules are copied in and out", async () => {
    const store = new MemoryStore();
    const schedule = {
      name: "s",
      definition: {
        kind: "interval" as const,
        every: 1_000,
        timezone: "UTC",
        misfire: "skip" as const,
        maxOccurrences: null,
        until: null,
        job: {
          queue: "q",
          priority: 0,
          maxRetries: 0,
          timeout: 0,
          payload: { a: [1] },
          metadata: {},
          uniqueKey: null,
        },
      },
      nextRunAt: at(1_000),
      lastRunAt: null,
      occurrences: 0,
      createdAt: at(0),
      updatedAt: at(0),
      definedAt: at(0),
      definedBy: null,
    };
    await store.saveSchedule(schedule);
    schedule.nextRunAt.setTime(0);
    (schedule.definition.job.payload as { a: number[] }).a.push(2);
    const stored = await store.getSchedule("s");
    expect(stored?.nextRunAt).toEqual(at(1_000));
    expect(stored?.definition.job.payload).toEqual({ a: [1] });
    stored!.occurrences = 9;
    expect((await store.getSchedule("s"))?.occurrences).toBe(0);
  });
});

describe("MemoryStore input checks", () => {
  it("rejects a payload that cannot be copied, inserting nothing", async () => {
    const store = new MemoryStore();
    const bad = newJob({ payload: { fn: () => 1 } });
    await expect(store.createJobs([newJob(), bad])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "payload",
    });
    await expect(store.createJobs([newJob({ payload: () => 1 })])).rejects.toMatchObject({
      field: "payload",
    });
    await expect(store.createJobs([newJob({ payload: 1n })])).rejects.toMatchObject({ field: "payload" });
    expect((await store.listJobs({})).jobs).toEqual([]);
  });

  it("rejects an invalid date, naming the field", async () => {
    const store = new MemoryStore();
    await expect(store.createJobs([newJob({ scheduledAt: new Date(Number.NaN) })])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "scheduledAt",
    });
    await expect(store.claimDueJobs({ ...claimAt(0), now: new Date("x") })).rejects.toMatchObject({
      field: "now",
    });
  });

  it("rejects an id that is already stored or repeated in the batch", async () => {
    const store = new MemoryStore();
    const job = newJob();
    await store.createJobs([job]);
    await expect(store.createJobs([newJob({ id: job.id })])).rejects.toMatchObject({ field: "id" });
    const twin = newJob();
    await expect(store.createJobs([twin, { ...twin }])).rejects.toMatchObject({ field: "id" });
    expect((await store.listJobs({})).jobs).toHaveLength(1);
  });

  it("clamps listJobs paging to sane bounds", async () => {
    const store = new MemoryStore();
    await store.createJobs([newJob(), newJob()]);
    expect((await store.listJobs({ limit: -5 })).jobs).toHaveLength(1);
    expect((await store.listJobs({ limit: 50_000 })).jobs).toHaveLength(2);
  });

  it("a claim with a limit of zero claims nothing", async () => {
    const store = new MemoryStore();
    await store.createJobs([newJob()]);
    expect(await store.claimDueJobs(claimAt(0, { limit: 0 }))).toEqual([]);
  });
});

describe("MemoryStore behaviour beyond the contract", () => {
  it("requeueJob refuses a job whose uniqueKey was taken while it was dead", async () => {
    const store = new MemoryStore();
    await store.createJobs([newJob({ uniqueKey: "k" })]);
    const [claimed] = await store.claimDueJobs(claimAt(0));
    await store.failJob(
      { id: claimed!.id, queue: "default", attempt: 1, lockedBy: "w" },
      { now: at(1), error: "e", retryAt: null },
    );
    const [other] = await store.createJobs([newJob({ uniqueKey: "k" })]);
    await expect(store.requeueJob(claimed!.id, at(2))).rejects.toMatchObject({
      code: "JOB_ALREADY_EXISTS",
      existingJobId: other!.id,
    });
    expect((await store.getJob(claimed!.id))?.status).toBe("dead");
    // Once the other job finishes, the requeue goes through and takes the key again.
    await store.cancelJob(other!.id, at(3));
    expect((await store.requeueJob(claimed!.id, at(4)))?.job.status).toBe("pending");
    await expect(store.createJobs([newJob({ uniqueKey: "k" })])).rejects.toMatchObject({
      code: "JOB_ALREADY_EXISTS",
    });
  });

  it("the removeOnComplete option deletes completed jobs unless a call says otherwise", async () => {
    const store = new MemoryStore({ removeOnComplete: true });
    await store.createJobs([newJob(), newJob()]);
    const [first, second] = await store.claimDueJobs(claimAt(0));
    await store.completeJobs([{ id: first!.id, queue: "default", attempt: 1, lockedBy: "w" }], {
      now: at(1),
    });
    await store.completeJobs([{ id: second!.id, queue: "default", attempt: 1, lockedBy: "w" }], {
      now: at(1),
      removeOnComplete: false,
    });
    expect(await store.getJob(first!.id)).toBeNull();
    expect((await store.getJob(second!.id))?.status).toBe("completed");
  });

  it("stats leaves out queues that hold no job", async () => {
    const store = new MemoryStore();
    const [job] = await store.createJobs([newJob({ queue: "gone" }), newJob({ queue: "kept" })]);
    await store.cancelJob(job!.id, at(1));
    await store.cleanup({ completedBefore: at(10), deadBefore: at(10), cancelledBefore: at(10) });
    expect(Object.keys((await store.stats()).byQueue ?? {})).toEqual(["kept"]);
  });

  it("recoverExpiredLeases with a small limit recovers the longest-expired first", async () => {
    const store = new MemoryStore();
    await store.createJobs([newJob(), newJob(), newJob()]);
    const claimed = await store.claimDueJobs(claimAt(0));
    const ref = (i: number) => ({ id: claimed[i]!.id, queue: "default", attempt: 1, lockedBy: "w" });
    await store.renewLeases([ref(0)], at(300));
    await store.renewLeases([ref(1)], at(100));
    await store.renewLeases([ref(2)], at(200));
    const recover = (limit: number) =>
      store.recoverExpiredLeases({
        now: at(1_000),
        limit,
        maxLostLeases: 3,
        error: "lost",
        deadLetter: null,
      });
    expect((await recover(2)).recovered).toEqual([claimed[1]!.id, claimed[2]!.id]);
    expect(await recover(0)).toEqual({ recovered: [], dead: [] });
  });
});

describe("MemoryStore subscribe", () => {
  it("notifies once per queue after inserts, retries, recoveries and requeues", async () => {
    const store = new MemoryStore();
    const heard: string[] = [];
    store.subscribe((event) =>
      heard.push(
        event.type === "jobs"
          ? event.queue
          : event.type === "cancelled"
            ? `cancelled ${event.id}`
            : event.type,
      ),
    );
    await store.createJobs([newJob({ queue: "a" }), newJob({ queue: "a" }), newJob({ queue: "b" })]);
    expect(heard).toEqual(["a", "b"]);
    heard.length = 0;
    const claimed = await store.claimDueJobs(claimAt(0, { queues: ["a"] }));
    await store.failJob(
      { id: claimed[0]!.id, queue: "a", attempt: 1, lockedBy: "w" },
      { now: at(1), error: "e", retryAt: at(5) },
    );
    expect(heard).toEqual(["a"]);
    await store.recoverExpiredLeases({
      now: at(120_000),
      limit: 10,
      maxLostLeases: 3,
      error: "lost",
      deadLetter: null,
    });
    expect(heard).toEqual(["a", "a"]);
    const [running] = await store.claimDueJobs(claimAt(120_000, { queues: ["b"] }));
    await store.cancelJob(running!.id, at(120_001));
    expect(heard).toEqual(["a", "a", `cancelled ${running!.id}`]);
  });

  it("a listener that throws neither fails the call nor silences other listeners", async () => {
    const store = new MemoryStore();
    const heard: string[] = [];
    const listener = (event: StoreEvent): void => {
      if (event.type === "jobs") heard.push(event.queue);
    };
    store.subscribe(() => {
      throw new Error("listener failure");
    });
    store.subscribe(listener);
    const unsubscribeSecond = store.subscribe(listener);
    await store.createJobs([newJob()]);
    expect(heard).toEqual(["default", "default"]);
    unsubscribeSecond();
    unsubscribeSecond();
    await store.createJobs([newJob()]);
    expect(heard).toHaveLength(3);
  });
});

describe("MemoryStore close", () => {
  it("every method rejects with STORE_CLOSED after close, and close stays idempotent", async () => {
    const store: Store = new MemoryStore();
    const heard: string[] = [];
    store.subscribe?.((event) => heard.push(event.type));
    await store.close();
    await store.close();
    const ref = { id: "x", queue: "default", attempt: 1, lockedBy: "w" };
    const calls: Array<() => Promise<unknown>> = [
      () => store.createJobs([newJob()]),
      () => store.getJob("x"),
      () => store.listJobs({}),
      () => store.cancelJob("x", at(0)),
      () => store.requeueJob("x", at(0)),
      () => store.claimDueJobs(claimAt(0)),
      () => store.completeJobs([ref], { now: at(0) }),
      () => store.failJob(ref, { now: at(0), error: "e", retryAt: null }),
      () => store.renewLeases([ref], at(0)),
      () => store.releaseJobs([ref], { now: at(0) }),
      () =>
        store.recoverExpiredLeases({ now: at(0), limit: 1, maxLostLeases: 3, error: "e", deadLetter: null }),
      () => store.nextDueAt({ queues: null, names: null }),
      () => store.waitingJobNames({ queues: null, dueBy: at(0), limit: 10 }),
      () => store.getSchedule("s"),
      () => store.listSchedules(),
      () => store.deleteSchedule("s"),
      () =>
        store.fireScheduleTick({
          name: "s",
          expectedNextRunAt: at(0),
          nextRunAt: null,
          firedAt: at(0),
          jobs: [],
        }),
      () => store.cleanup({ completedBefore: at(0), deadBefore: at(0), cancelledBefore: at(0) }),
      () => store.stats(),
      () => store.ping(),
    ];
    for (const call of calls) await expect(call()).rejects.toMatchObject({ code: "STORE_CLOSED" });
    const unsubscribe = store.subscribe?.(() => heard.push("late"));
    unsubscribe?.();
    expect(heard).toEqual([]);
  });

  it("close drops stored data so that nothing is kept alive", async () => {
    const store = new MemoryStore();
    await store.createJobs([newJob({ uniqueKey: "k" }), newJob({ queue: "other" })]);
    await store.claimDueJobs(claimAt(0, { queues: ["other"] }));
    await store.saveSchedule({
      name: "s",
      definition: {
        kind: "once",
        timezone: "UTC",
        misfire: "skip",
        maxOccurrences: null,
        until: null,
        job: {
          queue: "q",
          priority: 0,
          maxRetries: 0,
          timeout: 0,
          payload: null,
          metadata: {},
          uniqueKey: null,
        },
      },
      nextRunAt: at(1),
      lastRunAt: null,
      occurrences: 0,
      createdAt: at(0),
      updatedAt: at(0),
      definedAt: at(0),
      definedBy: null,
    });
    store.subscribe(() => {});
    await store.close();
    // Look into the store and the objects it owns for any collection still holding something.
    const owned = Object.values(store).flatMap((value: unknown) =>
      value !== null && typeof value === "object" && !(value instanceof Map) && !(value instanceof Set)
        ? [value, ...Object.values(value)]
        : [value],
    );
    const collections = owned.filter((value) => value instanceof Map || value instanceof Set);
    expect(collections.length).toBeGreaterThanOrEqual(6);
    expect(collections.filter((collection) => collection.size > 0)).toEqual([]);
  });
});
