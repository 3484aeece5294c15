import { randomBytes } from "node:crypto";
import { SpanKind } from "@opentelemetry/api";
import { createScheduler, type Job, type Scheduler } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ATTR, METRICS, otel } from "../src/index.js";
import { deferred, quiet, Telemetry, total, until } from "./harness.js";

const POSTGRES_URL = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const schema = `sched_otel_${randomBytes(6).toString("hex")}`;

afterAll(async () => {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query("SET client_min_messages = warning");
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
});

describe("on PostgreSQL", () => {
  it("a trace started by one instance continues in another with its own connection pool; gauges read the database", async () => {
    const producerTelemetry = new Telemetry();
    const consumerTelemetry = new Telemetry();
    const store = (name: string) =>
      new PostgresStore({
        connectionString: POSTGRES_URL,
        schema,
        autoMigrate: true,
        poolSize: 2,
        applicationName: name,
      });
    const producer = createScheduler({ store: store("otel-producer"), logger: quiet, queues: ["unused"] });
    const consumer = createScheduler({ store: store("otel-consumer"), logger: quiet, queues: ["reports"] });
    const schedulers: Scheduler[] = [producer, consumer];
    try {
      producer.use(
        otel({
          tracerProvider: producerTelemetry.tracerProvider,
          meterProvider: producerTelemetry.meterProvider,
        }),
      );
      consumer.use(
        otel({
          tracerProvider: consumerTelemetry.tracerProvider,
          meterProvider: consumerTelemetry.meterProvider,
        }),
      );
      await producer.start();
      const ran = deferred<Job>();
      consumer.register("build-report", (job) => ran.resolve(job));

      const job = await producerTelemetry.tracerProvider
        .getTracer("app")
        .startActiveSpan("POST /reports", async (span) => {
          try {
            return await producer.enqueue({ name: "build-report", queue: "reports", payload: { id: 7 } });
          } finally {
            span.end();
          }
        });
      // The job waits in the database: the producer's gauges see it pending.
      const before = await producerTelemetry.collect();
      expect(total(before.get(METRICS.pending), { [ATTR.destination]: "reports" })).toBe(1);
      expect(total(before.get(METRICS.enqueued), { [ATTR.destination]: "reports" })).toBe(1);

      await consumer.start();
      const stored = await ran.promise;
      await until(() => consumerTelemetry.spans("process reports").length === 1);

      const request = producerTelemetry.span("POST /reports");
      const send = producerTelemetry.span("send reports");
      const process = consumerTelemetry.span("process reports");
      expect(stored.metadata.traceparent).toBe(job.metadata.traceparent);
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(process.kind).toBe(SpanKind.CONSUMER);
      expect(process.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
      expect(process.attributes[ATTR.messageId]).toBe(job.id);
      await until(async () => (await consumer.getJob(job.id))?.status === "completed");
      const after = await consumerTelemetry.collect();
      expect(total(after.get(METRICS.completed), { [ATTR.jobName]: "build-report" })).toBe(1);
    } finally {
      for (const s of schedulers) await s.stop({ timeout: 0 });
      for (const s of schedulers) await s.store.close();
      await producerTelemetry.shutdown();
      await consumerTelemetry.shutdown();
    }
  });
});
