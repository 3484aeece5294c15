import { createScheduler, ManualClock, MemoryStore } from "@sched/core";
import { describe, expect, it } from "vitest";
import { ATTR, METRICS, otel } from "../src/index.js";
import { deferred, histogram, quiet, stoppedAfterEach, Telemetry, total, until } from "./harness.js";

const { started, telemetry } = stoppedAfterEach();

function setup(options: Parameters<typeof createScheduler>[0] = {}) {
  const t = new Telemetry();
  telemetry.push(t);
  const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
  const store = new MemoryStore();
  const s = createScheduler({ clock, store, logger: quiet, random: () => 0.5, ...options });
  started.push(s);
  return { s, t, clock, store };
}

const ALLOWED_ATTRIBUTES = new Set<string>([ATTR.destination, ATTR.jobName, ATTR.outcome]);

describe("metrics", () => {
  it("counts enqueued, completed, failed, retried and dead jobs by queue and name, with bounded attributes", async () => {
    const { s, t, clock } = setup({ retry: { initialDelay: "1s", jitter: 0 } });
    s.use(otel({ meterProvider: t.meterProvider, tracerProvider: t.tracerProvider }));
    let flakyRuns = 0;
    s.register("ok", () => {});
    s.register("flaky", () => {
      flakyRuns++;
      if (flakyRuns === 1) throw new Error("first attempt fails");
    });
    s.register("doomed", () => {
      throw new Error("always fails");
    });
    await s.start();
    await s.enqueueMany([
      { name: "ok", queue: "mail" },
      { name: "ok", queue: "mail" },
      { name: "ok", queue: "sms" },
    ]);
    const flaky = await s.enqueue({ name: "flaky", queue: "mail", maxRetries: 3 });
    const doomed = await s.enqueue({ name: "doomed", queue: "sms", maxRetries: 1 });
    await until(async () => (await s.getJob(flaky.id))?.status === "failed");
    await until(async () => (await s.getJob(doomed.id))?.status === "failed");
    await clock.advance("1s");
    await until(async () => (await s.getJob(flaky.id))?.status === "completed");
    await until(async () => (await s.getJob(doomed.id))?.status === "dead");

    const m = await t.collect();
    const mail = { [ATTR.destination]: "mail" };
    const sms = { [ATTR.destination]: "sms" };
    expect(total(m.get(METRICS.enqueued))).toBe(5);
    expect(total(m.get(METRICS.enqueued), { ...mail, [ATTR.jobName]: "ok" })).toBe(2);
    expect(total(m.get(METRICS.enqueued), sms)).toBe(2);
    expect(total(m.get(METRICS.completed))).toBe(4);
    expect(total(m.get(METRICS.completed), { ...mail, [ATTR.jobName]: "flaky" })).toBe(1);
    expect(total(m.get(METRICS.failed))).toBe(3);
    expect(total(m.get(METRICS.failed), { [ATTR.jobName]: "flaky", [ATTR.outcome]: "retry" })).toBe(1);
    expect(total(m.get(METRICS.failed), { [ATTR.jobName]: "doomed", [ATTR.outcome]: "retry" })).toBe(1);
    expect(total(m.get(METRICS.failed), { [ATTR.jobName]: "doomed", [ATTR.outcome]: "dead" })).toBe(1);
    expect(total(m.get(METRICS.retried))).toBe(2);
    expect(total(m.get(METRICS.retried), { ...sms, [ATTR.jobName]: "doomed" })).toBe(1);
    expect(total(m.get(METRICS.dead))).toBe(1);
    expect(total(m.get(METRICS.dead), { ...sms, [ATTR.jobName]: "doomed" })).toBe(1);

    // Durations: one point per attempt, in seconds.
    const durations = histogram(m.get(METRICS.duration));
    expect(durations.reduce((n, h) => n + h.count, 0)).toBe(7);
    expect(m.get(METRICS.duration)?.descriptor.unit).toBe("s");
    expect(
      histogram(m.get(METRICS.duration), { [ATTR.outcome]: "completed" }).reduce((n, h) => n + h.count, 0),
    ).toBe(4);

    // Only bounded attributes: never ids, payloads or error messages.
    for (const metric of m.values()) {
      for (const point of metric.dataPoints) {
        for (const key of Object.keys(point.attributes)) expect(ALLOWED_ATTRIBUTES).toContain(key);
      }
    }
  });

  it("records the schedule delay (start minus scheduled time) in seconds", async () => {
    const { s, t, clock } = setup({ workers: 1 });
    s.use(otel({ meterProvider: t.meterProvider }));
    const release = deferred();
    const ran: string[] = [];
    s.register("slow", async () => {
      ran.push("slow");
      await release.promise;
    });
    s.register("next", () => {
      ran.push("next");
    });
    await s.start();
    await s.enqueue({ name: "slow" });
    await until(() => ran.length === 1);
    // Due now, but the only worker is busy for 3 seconds: it starts 3 seconds late.
    await s.enqueue({ name: "next" });
    await clock.advance("3s");
    release.resolve();
    await until(() => ran.length === 2);
    await until(async () => (await s.stats()).completed === 2);

    const m = await t.collect();
    const [delay] = histogram(m.get(METRICS.scheduleDelay), { [ATTR.jobName]: "next" });
    expect(delay?.count).toBe(1);
    expect(delay?.sum).toBe(3);
    expect(histogram(m.get(METRICS.scheduleDelay), { [ATTR.jobName]: "slow" })[0]?.sum).toBe(0);
    expect(m.get(METRICS.scheduleDelay)?.descriptor.unit).toBe("s");
  });

  it("observes pending, running and dead jobs per queue from stats(), read at most once per TTL", async () => {
    const { s, t, clock, store } = setup({ workers: 1 });
    s.use(otel({ meterProvider: t.meterProvider, statsCacheTtl: "10s" }));
    let statsCalls = 0;
    const stats = store.stats.bind(store);
    store.stats = () => {
      statsCalls++;
      return stats();
    };
    const release = deferred();
    const running = deferred();
    s.register("block", async () => {
      running.resolve();
      await release.promise;
    });
    s.register("fail", () => {
      throw new Error("no");
    });
    // Not attached before start: a scrape reads nothing.
    expect((await t.collect()).get(METRICS.pending)).toBeUndefined();
    expect(statsCalls).toBe(0);

    await s.start();
    await s.enqueue({ name: "fail", queue: "b", maxRetries: 0 });
    await until(async () => (await s.stats()).dead === 1);
    await s.enqueue({ name: "block", queue: "a" });
    await running.promise;
    await s.enqueueMany([
      { name: "block", queue: "a" },
      { name: "block", queue: "a" },
    ]);
    statsCalls = 0;

    const first = await t.collect();
    expect(total(first.get(METRICS.pending), { [ATTR.destination]: "a" })).toBe(2);
    expect(total(first.get(METRICS.running), { [ATTR.destination]: "a" })).toBe(1);
    expect(total(first.get(METRICS.deadLetters), { [ATTR.destination]: "b" })).toBe(1);
    expect(total(first.get(METRICS.deadLetters), { [ATTR.destination]: "a" })).toBe(0);
    expect(statsCalls).toBe(1);

    // Scrapes within the TTL reuse the reading: the store is not asked again.
    await Promise.all([t.collect(), t.collect()]);
    await clock.advance("5s");
    const cached = await t.collect();
    expect(total(cached.get(METRICS.pending), { [ATTR.destination]: "a" })).toBe(2);
    expect(statsCalls).toBe(1);

    // Past the TTL it reads again.
    release.resolve();
    await until(async () => (await stats()).completed === 3);
    await clock.advance("6s");
    const fresh = await t.collect();
    expect(statsCalls).toBe(2);
    expect(total(fresh.get(METRICS.pending), { [ATTR.destination]: "a" })).toBe(0);
    expect(total(fresh.get(METRICS.running), { [ATTR.destination]: "a" })).toBe(0);

    // After stop the gauges read nothing more.
    await s.stop();
    await clock.advance("1m");
    const after = await t.collect();
    expect(statsCalls).toBe(2);
    expect(total(after.get(METRICS.pending))).toBe(0);
  });

  it("schedulers sharing a store share one stats() reading; a failing read is logged once and skipped", async () => {
    const t = new Telemetry();
    telemetry.push(t);
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const store = new MemoryStore();
    const warnings: string[] = [];
    const logger = { ...quiet, warn: (message: string) => warnings.push(message) };
    const middleware = otel({ meterProvider: t.meterProvider, statsCacheTtl: "1s" });
    // Neither works queue "q": its job stays pending.
    const a = createScheduler({ clock, store, logger, queues: ["other"] });
    const b = createScheduler({ clock, store, logger, queues: ["other"] });
    started.push(a, b);
    a.use(middleware);
    b.use(middleware);
    await a.start();
    await b.start();
    await a.enqueue({ name: "x", queue: "q", runAt: new Date(clock.now() + 60_000) });
    await a.enqueue({ name: "x", queue: "q" });
    let statsCalls = 0;
    const stats = store.stats.bind(store);
    let failing = false;
    store.stats = () => {
      statsCalls++;
      return failing ? Promise.reject(new Error("store down")) : stats();
    };
    const m = await t.collect();
    expect(statsCalls).toBe(1);
    expect(total(m.get(METRICS.pending), { [ATTR.destination]: "q" })).toBe(1);

    failing = true;
    await clock.advance("2s");
    await t.collect();
    await clock.advance("2s");
    await t.collect();
    expect(statsCalls).toBe(3);
    expect(warnings.filter((w) => w.includes("queue gauges"))).toHaveLength(1);

    failing = false;
    await clock.advance("2s");
    const back = await t.collect();
    expect(total(back.get(METRICS.pending), { [ATTR.destination]: "q" })).toBe(1);
    // One scheduler stops: the other still reports the shared store.
    await a.stop();
    await clock.advance("2s");
    expect(total((await t.collect()).get(METRICS.pending), { [ATTR.destination]: "q" })).toBe(1);
  });

  it("counts jobs recovered from a dead worker", async () => {
    const { s, t, clock, store } = setup();
    s.use(otel({ meterProvider: t.meterProvider }));
    s.register("orphan", () => {});
    await s.enqueue({ name: "orphan" });
    // Another process claimed it and died.
    await store.claimDueJobs({
      queues: null,
      names: null,
      limit: 1,
      now: new Date(clock.now()),
      lockedUntil: new Date(clock.now() + 30_000),
      workerId: "dead-process",
    });
    await s.start();
    await clock.advance("31s");
    await until(async () => (await s.stats()).completed === 1);
    const m = await t.collect();
    expect(total(m.get(METRICS.recovered))).toBe(1);
    expect(total(m.get(METRICS.completed))).toBe(1);
  });
});

describe("resources", () => {
  it("leaves no timer or handle open once the scheduler stops and the providers shut down", async () => {
    const activeResources = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r !== "TTYWrap" && r !== "PipeWrap")
        .sort();
    const before = activeResources();
    const t = new Telemetry();
    const s = createScheduler({ logger: quiet });
    s.use(otel({ tracerProvider: t.tracerProvider, meterProvider: t.meterProvider }));
    const ran = deferred();
    s.register("a", () => ran.resolve());
    await s.start();
    await s.enqueue({ name: "a" });
    await ran.promise;
    await t.collect();
    const running = activeResources();
    await s.stop();
    await t.shutdown();
    await until(() => activeResources().length <= before.length);
    // The scheduler held something to close while it ran. Compared with what is left after, not
    // with `before`: a timer an earlier test left may end meanwhile and even out the count.
    expect(running.length).toBeGreaterThan(activeResources().length);
    // Nothing of this test's is left: each kind of resource is at most as many as before (a timer
    // an earlier test left behind may end meanwhile, so there may be fewer).
    const countOf = (list: string[]) =>
      list.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
    const left = countOf(activeResources());
    const had = countOf(before);
    for (const [kind, n] of left) expect(n, kind).toBeLessThanOrEqual(had.get(kind) ?? 0);
  });
});
