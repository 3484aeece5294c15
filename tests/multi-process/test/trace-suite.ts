import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { runScript, type ScriptRun } from "../src/harness.js";
import type { BackendUnderTest } from "./suite.js";

/** A finished span as the producer and consumer processes print it (see src/tracing.mjs). */
interface PrintedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  links: Array<{ traceId: string; spanId: string }>;
}

const QUEUE = "traced";
const MESSAGE_ID = "messaging.message.id";

/** The spans a script printed, one JSON object a line; fails unless the script exited with 0. */
function spansOf(run: ScriptRun, what: string): PrintedSpan[] {
  expect(run.code, `${what} exit code; its stderr:\n${run.stderr}`).toBe(0);
  return run.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as PrintedSpan);
}

function only(spans: PrintedSpan[], name: string, kind: number): PrintedSpan {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  expect(found, `${name} spans of kind ${kind}`).toHaveLength(1);
  return found[0]!;
}

/**
 * Trace propagation through the store: a trace started in one process (the producer, which only
 * enqueues) continues in another process (the consumer, which runs the jobs), carried by the
 * W3C trace context the OpenTelemetry middleware writes into each job's metadata.
 */
export function traceSuite(backend: Pick<BackendUnderTest, "name" | "isolate">): void {
  describe(`${backend.name}, OpenTelemetry across processes`, () => {
    it("continues the producer's trace in the consumer process, on every attempt", async () => {
      const { env, store } = await backend.isolate();
      try {
        const producer = spansOf(
          await runScript("./trace-producer.mjs", { ...env, MP_QUEUE: QUEUE }),
          "producer",
        );
        const consumer = spansOf(
          await runScript("./trace-consumer.mjs", { ...env, MP_EXPECT_JOBS: "4" }),
          "consumer",
        );

        // The producer: a request span, and under it a send span for `enqueue` and, for the batch,
        // one create span per job plus a send span linked to those.
        const request = only(producer, "request", SpanKind.INTERNAL);
        expect(request.parentSpanId).toBeNull();
        expect(producer).toHaveLength(6);
        for (const span of producer) {
          expect(span.traceId, span.name).toBe(request.traceId);
          if (span !== request) expect(span.parentSpanId, span.name).toBe(request.spanId);
        }
        const send = only(producer, `send ${QUEUE}`, SpanKind.PRODUCER);
        const creates = producer.filter((s) => s.name === `create ${QUEUE}`);
        expect(creates.map((s) => s.kind)).toEqual([SpanKind.PRODUCER, SpanKind.PRODUCER, SpanKind.PRODUCER]);
        const batchSend = only(producer, `send ${QUEUE}`, SpanKind.CLIENT);
        expect(batchSend.attributes["messaging.batch.message_count"]).toBe(3);
        expect(batchSend.links).toEqual(creates.map((c) => ({ traceId: c.traceId, spanId: c.spanId })));
        for (const span of [send, ...creates]) {
          expect(span.attributes).toMatchObject({
            "messaging.system": "sched",
            "messaging.destination.name": QUEUE,
          });
        }
        expect(send.attributes["messaging.operation.type"]).toBe("send");
        // The producer span whose context each job carries, by job id.
        const carrier = new Map<string, PrintedSpan>();
        for (const span of [send, ...creates]) carrier.set(String(span.attributes[MESSAGE_ID]), span);
        expect(carrier.size).toBe(4);

        // The store holds that context in each job's metadata, and every job completed.
        for (const [id, span] of carrier) {
          const job = await store.getJob(id);
          expect(job?.status, `job ${id}`).toBe("completed");
          expect(job?.metadata.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`);
        }

        // The consumer: one process span per attempt, each a child of its job's producer span in
        // the producer's trace.
        expect(consumer.length).toBeGreaterThan(0);
        for (const span of consumer) {
          expect(span.name).toBe(`process ${QUEUE}`);
          expect(span.kind).toBe(SpanKind.CONSUMER);
          expect(span.traceId).toBe(request.traceId);
          const id = String(span.attributes[MESSAGE_ID]);
          expect(carrier.has(id), `job ${id} was enqueued by the producer`).toBe(true);
          expect(span.parentSpanId, `parent of the attempt of job ${id}`).toBe(carrier.get(id)!.spanId);
          expect(span.attributes).toMatchObject({
            "messaging.system": "sched",
            "messaging.operation.type": "process",
            "messaging.destination.name": QUEUE,
          });
        }
        const attemptsOf = (id: string) =>
          consumer
            .filter((s) => s.attributes[MESSAGE_ID] === id)
            .sort(
              (a, b) => Number(a.attributes["sched.job.attempt"]) - Number(b.attributes["sched.job.attempt"]),
            );
        for (const [id, span] of carrier) {
          const attempts = attemptsOf(id);
          if (span.attributes["sched.job.name"] === "flaky") {
            // The failed attempt and its retry both continue the trace.
            expect(attempts.map((s) => s.attributes["sched.job.attempt"])).toEqual([1, 2]);
            expect(attempts.map((s) => s.attributes["sched.job.outcome"])).toEqual(["retry", "completed"]);
            expect(attempts[0]!.status).toMatchObject({
              code: SpanStatusCode.ERROR,
              message: "first attempt fails",
            });
            expect(attempts[1]!.status.code).not.toBe(SpanStatusCode.ERROR);
            expect(attempts[0]!.spanId).not.toBe(attempts[1]!.spanId);
          } else {
            expect(attempts.map((s) => s.attributes["sched.job.attempt"])).toEqual([1]);
            expect(attempts.map((s) => s.attributes["sched.job.outcome"])).toEqual(["completed"]);
            expect(attempts[0]!.status.code).not.toBe(SpanStatusCode.ERROR);
          }
        }
        expect(consumer).toHaveLength(5);
        const flaky = [...carrier.values()].filter((s) => s.attributes["sched.job.name"] === "flaky");
        expect(flaky.map((s) => s.name)).toEqual([`create ${QUEUE}`]);
      } finally {
        await store.close();
      }
    });
  });
}
