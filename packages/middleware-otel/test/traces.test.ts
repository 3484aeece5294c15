import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { createScheduler, type Job, ManualClock, MemoryStore, type Scheduler } from "@sched/core";
import { describe, expect, it } from "vitest";
import { ATTR, otel } from "../src/index.js";
import { deferred, quiet, stoppedAfterEach, Telemetry, until } from "./harness.js";

const { started, telemetry } = stoppedAfterEach();

function newTelemetry(): Telemetry {
  const t = new Telemetry();
  telemetry.push(t);
  return t;
}

function newScheduler(options: Parameters<typeof createScheduler>[0] = {}): Scheduler {
  const s = createScheduler({ logger: quiet, ...options });
  started.push(s);
  return s;
}

describe("traces", () => {
  it("continues the producer's trace in another scheduler instance sharing the store", async () => {
    const store = new MemoryStore();
    // Two instances, each with its own SDK: only the job's metadata carries the context across.
    const producerTelemetry = newTelemetry();
    const consumerTelemetry = newTelemetry();
    const producer = newScheduler({ store });
    producer.use(otel({ tracerProvider: producerTelemetry.tracerProvider }));
    const consumer = newScheduler({ store });
    consumer.use(otel({ tracerProvider: consumerTelemetry.tracerProvider }));
    const seen = deferred<{ job: Job; activeSpanId: string | undefined }>();
    consumer.register("email", (job) => {
      seen.resolve({ job, activeSpanId: trace.getActiveSpan()?.spanContext().spanId });
    });

    const tracer = producerTelemetry.tracerProvider.getTracer("app");
    const job = await tracer.startActiveSpan("request", async (span) => {
      try {
        return await producer.enqueue({ name: "email", queue: "mail", payload: { to: "a@b.c" } });
      } finally {
        span.end();
      }
    });
    await consumer.start();
    const { job: ran, activeSpanId } = await seen.promise;
    await until(() => consumerTelemetry.spans("process mail").length === 1);

    const request = producerTelemetry.span("request");
    const send = producerTelemetry.span("send mail");
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(send.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(send.attributes).toMatchObject({
      [ATTR.messagingSystem]: "sched",
      [ATTR.operationType]: "send",
      [ATTR.destination]: "mail",
      [ATTR.messageId]: job.id,
      [ATTR.jobName]: "email",
    });
    expect(job.metadata.traceparent).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
    expect(ran.metadata.traceparent).toBe(job.metadata.traceparent);

    const process = consumerTelemetry.span("process mail");
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(process.parentSpanContext?.isRemote).toBe(true);
    expect(process.attributes).toMatchObject({
      [ATTR.messagingSystem]: "sched",
      [ATTR.operationType]: "process",
      [ATTR.operationName]: "process",
      [ATTR.destination]: "mail",
      [ATTR.messageId]: job.id,
      [ATTR.jobName]: "email",
      [ATTR.attempt]: 1,
      [ATTR.outcome]: "completed",
    });
    expect(process.status.code).toBe(SpanStatusCode.UNSET);
    // The handler runs inside the consumer span.
    expect(activeSpanId).toBe(process.spanContext().spanId);
    // Neither instance recorded the other's spans.
    expect(producerTelemetry.spans("process mail")).toEqual([]);
    expect(consumerTelemetry.spans("send mail")).toEqual([]);
  });

  it("a job enqueued by a handler continues the trace of the attempt that enqueued it", async () => {
    const t = newTelemetry();
    const s = newScheduler();
    s.use(otel({ tracerProvider: t.tracerProvider }));
    s.register("parent", async () => {
      await s.enqueue({ name: "child" });
    });
    s.register("child", () => {});
    await s.start();
    await s.enqueue({ name: "parent" });
    await until(() => t.spans().filter((span) => span.name === "process default").length === 2);
    const [first, second] = t.spans("send default");
    const parentRun = t.spans("process default").find((span) => span.attributes[ATTR.jobName] === "parent")!;
    const childRun = t.spans("process default").find((span) => span.attributes[ATTR.jobName] === "child")!;
    expect(first?.parentSpanContext).toBeUndefined();
    expect(second?.parentSpanContext?.spanId).toBe(parentRun.spanContext().spanId);
    expect(childRun.parentSpanContext?.spanId).toBe(second?.spanContext().spanId);
    expect(new Set(t.spans().map((span) => span.spanContext().traceId)).size).toBe(1);
  });

  it("enqueueMany makes one creation span per job, carried by that job, and a send span linking them", async () => {
    const t = newTelemetry();
    const s = newScheduler();
    s.use(otel({ tracerProvider: t.tracerProvider }));
    s.register("a", () => {});
    const jobs = await s.enqueueMany([
      { name: "a", queue: "q1" },
      { name: "a", queue: "q1" },
      { name: "a", queue: "q2" },
    ]);
    const creates = [...t.spans("create q1"), ...t.spans("create q2")];
    expect(creates).toHaveLength(3);
    const send = t.span("send (several queues)");
    expect(send.kind).toBe(SpanKind.CLIENT);
    expect(send.attributes[ATTR.batchCount]).toBe(3);
    expect(send.attributes[ATTR.destination]).toBeUndefined();
    expect(send.links.map((link) => link.context.spanId).sort()).toEqual(
      creates.map((span) => span.spanContext().spanId).sort(),
    );
    for (const job of jobs) {
      const create = creates.find((span) => span.attributes[ATTR.messageId] === job.id)!;
      expect(create.kind).toBe(SpanKind.PRODUCER);
      expect(job.metadata.traceparent).toContain(create.spanContext().spanId);
    }
    await s.start();
    await until(() => t.spans("process q1").length + t.spans("process q2").length === 3);
    for (const run of [...t.spans("process q1"), ...t.spans("process q2")]) {
      const create = creates.find(
        (span) => span.attributes[ATTR.messageId] === run.attributes[ATTR.messageId],
      );
      expect(run.parentSpanContext?.spanId).toBe(create?.spanContext().spanId);
    }
    // One queue: the send span names it.
    await s.enqueueMany([
      { name: "a", queue: "q3" },
      { name: "a", queue: "q3" },
    ]);
    expect(t.span("send q3").attributes[ATTR.destination]).toBe("q3");
  });

  it("with consumerContext 'link', each attempt starts a new trace linked to the producer", async () => {
    const t = newTelemetry();
    const s = newScheduler();
    s.use(otel({ tracerProvider: t.tracerProvider, consumerContext: "link" }));
    s.register("report", () => {});
    await s.enqueue({ name: "report" });
    await s.start();
    await until(() => t.spans("process default").length === 1);
    const send = t.span("send default");
    const run = t.span("process default");
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.spanContext().traceId).not.toBe(send.spanContext().traceId);
    expect(run.links.map((link) => link.context.spanId)).toEqual([send.spanContext().spanId]);
  });

  it("records the error and marks the dead letter when an attempt fails for good", async () => {
    const t = newTelemetry();
    const s = newScheduler();
    s.use(otel({ tracerProvider: t.tracerProvider }));
    const deadLettered = deferred<Job>();
    s.register("charge", () => {
      throw new TypeError("card declined");
    });
    s.register("dead", (job) => deadLettered.resolve(job));
    await s.start();
    const job = await s.enqueue({ name: "charge", maxRetries: 0 });
    await deadLettered.promise;
    await until(() => t.spans("dead_letter default").length === 1);

    const run = t.span("process default");
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: "card declined" });
    expect(run.attributes[ATTR.errorType]).toBe("TypeError");
    expect(run.attributes[ATTR.outcome]).toBe("dead");
    expect(run.events.map((e) => e.name)).toEqual(["exception", "sched.job.dead_letter"]);
    expect(run.events[0]?.attributes?.["exception.message"]).toBe("card declined");
    // The dead-letter handler runs with the dead job, in a span of its own in the same trace.
    const dead = t.span("dead_letter default");
    expect(dead.attributes[ATTR.messageId]).toBe(job.id);
    expect(dead.attributes[ATTR.operationName]).toBe("dead_letter");
    expect(dead.spanContext().traceId).toBe(run.spanContext().traceId);
  });

  it("a retry that ends dead: one span per attempt in one trace, the last marked dead", async () => {
    const t = newTelemetry();
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const s = newScheduler({ clock, random: () => 0.5, retry: { initialDelay: "1s", jitter: 0 } });
    s.use(otel({ tracerProvider: t.tracerProvider }));
    let attempts = 0;
    s.register("flaky", () => {
      attempts++;
      throw new Error(`attempt ${attempts} failed`);
    });
    await s.start();
    const job = await s.enqueue({ name: "flaky", maxRetries: 2 });
    // Retries wait 1 s, then 2 s (no jitter).
    for (let n = 1; n <= 3; n++) {
      await until(() => attempts === n);
      const status = n < 3 ? "failed" : "dead";
      await until(async () => (await s.getJob(job.id))?.status === status);
      if (n < 3) await clock.advance(`${n}s`);
    }
    const runs = t
      .spans("process default")
      .sort((a, b) => Number(a.attributes[ATTR.attempt]) - Number(b.attributes[ATTR.attempt]));
    expect(runs.map((run) => run.attributes[ATTR.attempt])).toEqual([1, 2, 3]);
    expect(runs.map((run) => run.attributes[ATTR.outcome])).toEqual(["retry", "retry", "dead"]);
    expect(runs.map((run) => run.status.message)).toEqual([
      "attempt 1 failed",
      "attempt 2 failed",
      "attempt 3 failed",
    ]);
    expect(runs.map((run) => run.events.at(-1)?.name)).toEqual([
      "sched.job.retry",
      "sched.job.retry",
      "sched.job.dead_letter",
    ]);
    const send = t.span("send default");
    for (const run of runs) {
      expect(run.spanContext().traceId).toBe(send.spanContext().traceId);
      expect(run.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    }
  });

  it("a dead-letter handler that fails and is retried: one dead_letter span per run, with its attempt", async () => {
    const t = newTelemetry();
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const s = newScheduler({ clock, random: () => 0.5, retry: { initialDelay: "1s", jitter: 0 } });
    s.use(otel({ tracerProvider: t.tracerProvider }));
    s.register("charge", () => {
      throw new Error("card declined");
    });
    let runs = 0;
    s.register(
      "dead",
      () => {
        runs++;
        if (runs === 1) throw new Error("alerting is down");
      },
      { maxRetries: 1 },
    );
    await s.start();
    const job = await s.enqueue({ name: "charge", maxRetries: 0 });
    await until(() => runs === 1);
    await until(() => t.spans("dead_letter default").length === 1);
    await clock.advance("1s");
    await until(() => runs === 2);
    await until(() => t.spans("dead_letter default").length === 2);
    const deadRuns = t
      .spans("dead_letter default")
      .sort((a, b) => Number(a.attributes[ATTR.attempt]) - Number(b.attributes[ATTR.attempt]));
    expect(deadRuns.map((run) => run.attributes[ATTR.attempt])).toEqual([1, 2]);
    expect(deadRuns.map((run) => run.attributes[ATTR.outcome])).toEqual(["failed", "completed"]);
    expect(deadRuns.map((run) => run.attributes[ATTR.messageId])).toEqual([job.id, job.id]);
    expect(deadRuns[0]?.status.message).toBe("alerting is down");
  });

  it("each schedule firing is a root span whose context the tick's jobs carry", async () => {
    const t = newTelemetry();
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const s = newScheduler({ clock });
    s.use(otel({ tracerProvider: t.tracerProvider }));
    const ran: Job[] = [];
    await s.schedule("nightly-report", "*/10 * * * * *", (job) => {
      ran.push(job);
    });
    await s.start();
    // Fired inside an unrelated active span: the tick still starts a trace of its own.
    await t.tracerProvider.getTracer("app").startActiveSpan("unrelated", async (span) => {
      await clock.advance("10s");
      span.end();
    });
    await until(() => ran.length === 1 && t.spans("process default").length === 1);
    const tick = t.span("tick nightly-report");
    expect(tick.parentSpanContext).toBeUndefined();
    expect(tick.kind).toBe(SpanKind.PRODUCER);
    expect(tick.attributes).toMatchObject({
      [ATTR.schedule]: "nightly-report",
      [ATTR.destination]: "default",
      [ATTR.batchCount]: 1,
      [ATTR.fired]: true,
    });
    const run = t.span("process default");
    expect(run.parentSpanContext?.spanId).toBe(tick.spanContext().spanId);
    expect(run.spanContext().traceId).toBe(tick.spanContext().traceId);
    expect(run.attributes[ATTR.jobName]).toBe("nightly-report");
  });

  it("a failed enqueue ends its producer span with the error", async () => {
    const t = newTelemetry();
    const s = newScheduler();
    s.use(otel({ tracerProvider: t.tracerProvider }));
    await s.enqueue({ name: "sync", uniqueKey: "account-7" });
    await expect(s.enqueue({ name: "sync", uniqueKey: "account-7" })).rejects.toThrow(/account-7/);
    const [ok, refused] = t.spans("send default");
    expect(ok?.status.code).toBe(SpanStatusCode.UNSET);
    expect(refused?.status.code).toBe(SpanStatusCode.ERROR);
    expect(refused?.attributes[ATTR.errorType]).toBe("JobAlreadyExistsError");
  });

  it.each(["throttle", "debounce"] as const)(
    "a deduplicated enqueue (%s) names the job it returned, the window's, on its send span",
    async (mode) => {
      const t = newTelemetry();
      const s = newScheduler();
      s.use(otel({ tracerProvider: t.tracerProvider }));
      const dedupe = { key: "user:42", ttl: "10s" as const, mode };
      const first = await s.enqueue({ name: "reindex", dedupe, ...(mode === "throttle" && { delay: "5s" }) });
      const second = await s.enqueue({
        name: "reindex",
        dedupe,
        ...(mode === "throttle" && { delay: "5s" }),
      });
      expect(second.id).toBe(first.id);
      const [created, deduplicated] = t.spans("send default");
      expect(created?.attributes[ATTR.messageId]).toBe(first.id);
      expect(created?.attributes[ATTR.deduplicated]).toBeUndefined();
      expect(deduplicated?.attributes[ATTR.messageId]).toBe(first.id);
      expect(deduplicated?.attributes[ATTR.deduplicated]).toBe(true);
    },
  );

  it("an attempt interrupted by shutdown is marked interrupted, not dead", async () => {
    const t = newTelemetry();
    const s = newScheduler();
    s.use(otel({ tracerProvider: t.tracerProvider }));
    const running = deferred();
    s.register("long", (_job, ctx) => {
      running.resolve();
      return new Promise<void>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
      });
    });
    await s.start();
    await s.enqueue({ name: "long", maxRetries: 0 });
    await running.promise;
    await s.stop({ timeout: 0 });
    const run = t.span("process default");
    expect(run.attributes[ATTR.outcome]).toBe("interrupted");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
  });
});
