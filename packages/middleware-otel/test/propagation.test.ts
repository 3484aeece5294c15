import {
  context,
  createTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { createScheduler, InvalidArgumentError, type Job } from "@sched/core";
import { unreadableRefusals } from "@sched/testing";
import { afterEach, describe, expect, it } from "vitest";
import { otel, w3cTraceContext } from "../src/index.js";
import { deferred, quiet, stoppedAfterEach, Telemetry, until } from "./harness.js";

const { started, telemetry } = stoppedAfterEach();
afterEach(() => propagation.disable());

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";

function extract(carrier: Record<string, string>) {
  return trace.getSpanContext(w3cTraceContext.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
}

describe("the built-in W3C Trace Context propagator", () => {
  it("round-trips traceparent and tracestate", () => {
    const carrier: Record<string, string> = {};
    const spanContext = {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
      traceState: createTraceState("vendor=value,other=x"),
    };
    w3cTraceContext.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, defaultTextMapSetter);
    expect(carrier).toEqual({
      traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
      tracestate: "vendor=value,other=x",
    });
    const back = extract(carrier);
    expect(back).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
    expect(back?.traceState?.get("vendor")).toBe("value");
    expect(w3cTraceContext.fields()).toEqual(["traceparent", "tracestate"]);
  });

  it("agrees with the SDK's W3CTraceContextPropagator", () => {
    const sdk = new W3CTraceContextPropagator();
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 });
    const ours: Record<string, string> = {};
    const theirs: Record<string, string> = {};
    w3cTraceContext.inject(ctx, ours, defaultTextMapSetter);
    sdk.inject(ctx, theirs, defaultTextMapSetter);
    expect(ours).toEqual(theirs);
    const header = `00-${TRACE_ID}-${SPAN_ID}-03`;
    expect(extract({ traceparent: header })).toEqual(
      trace.getSpanContext(sdk.extract(ROOT_CONTEXT, { traceparent: header }, defaultTextMapGetter)),
    );
  });

  it("ignores malformed, invalid and unsupported headers, and writes nothing for an invalid context", () => {
    for (const traceparent of [
      "",
      "garbage",
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `00-${"0".repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
    ]) {
      expect(extract({ traceparent }), traceparent).toBeUndefined();
    }
    // A later version may carry more fields.
    expect(extract({ traceparent: `01-${TRACE_ID}-${SPAN_ID}-01-more` })?.spanId).toBe(SPAN_ID);
    const carrier: Record<string, string> = {};
    w3cTraceContext.inject(ROOT_CONTEXT, carrier, defaultTextMapSetter);
    w3cTraceContext.inject(
      trace.setSpan(
        ROOT_CONTEXT,
        trace.wrapSpanContext({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 }),
      ),
      carrier,
      defaultTextMapSetter,
    );
    expect(carrier).toEqual({});
  });
});

describe("choice of propagator", () => {
  async function runOne(options: Parameters<typeof otel>[0]): Promise<Job> {
    const s = createScheduler({ logger: quiet });
    started.push(s);
    s.use(otel(options));
    const ran = deferred<Job>();
    s.register("a", (job) => ran.resolve(job));
    await s.start();
    await s.enqueue({ name: "a" });
    return ran.promise;
  }

  it("uses the global propagator when one is registered, and the one given in the options first", async () => {
    const t = new Telemetry();
    telemetry.push(t);
    const tagging = (tag: string): TextMapPropagator => ({
      inject: (ctx, carrier, setter) => {
        const span = trace.getSpanContext(ctx);
        if (span) setter.set(carrier, tag, span.spanId);
      },
      extract: (ctx, carrier, getter) => {
        const spanId = getter.get(carrier, tag) as string | undefined;
        return spanId
          ? trace.setSpanContext(ctx, { traceId: TRACE_ID, spanId, traceFlags: 1, isRemote: true })
          : ctx;
      },
      fields: () => [tag],
    });
    propagation.setGlobalPropagator(tagging("x-global"));
    const global = await runOne({ tracerProvider: t.tracerProvider });
    expect(Object.keys(global.metadata)).toEqual(["x-global"]);

    const given = await runOne({ tracerProvider: t.tracerProvider, propagator: tagging("x-given") });
    expect(Object.keys(given.metadata)).toEqual(["x-given"]);
    await until(() => t.spans("process default").length === 2);
    // The consumer span's parent is what the propagator extracted.
    const parents = t.spans("process default").map((span) => span.parentSpanContext?.spanId);
    expect(parents.sort()).toEqual([global.metadata["x-global"], given.metadata["x-given"]].sort());
  });

  it("with no SDK at all (the global no-op providers) jobs run and carry no trace context", async () => {
    const job = await runOne({});
    expect(job.metadata).toEqual({});
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(context.active()).toBe(ROOT_CONTEXT);
    // With the no-op meter no metric is computed: no hooks. (`attach` only keeps the scheduler's
    // logger, to report telemetry that throws.)
    const unused = otel();
    expect(unused.hooks).toEqual([]);
    const t = new Telemetry();
    telemetry.push(t);
    const used = otel({ meterProvider: t.meterProvider });
    expect(used.hooks).toHaveLength(1);
    expect(typeof used.attach).toBe("function");
  });

  it("uses the global tracer provider, registered before or after the middleware is made", async () => {
    const t = new Telemetry();
    telemetry.push(t);
    const s = createScheduler({ logger: quiet });
    started.push(s);
    s.use(otel());
    const ran: Job[] = [];
    s.register("a", (job) => {
      ran.push(job);
    });
    await s.start();
    await s.enqueue({ name: "a" });
    await until(() => ran.length === 1);
    expect(t.spans()).toEqual([]);
    expect(ran[0]?.metadata).toEqual({});
    trace.setGlobalTracerProvider(t.tracerProvider);
    try {
      await s.enqueue({ name: "a" });
      await until(() => ran.length === 2 && t.spans("process default").length === 1);
      expect(ran[1]?.metadata.traceparent).toContain(t.span("send default").spanContext().spanId);
      expect(t.span("process default").parentSpanContext?.spanId).toBe(
        t.span("send default").spanContext().spanId,
      );
    } finally {
      trace.disable();
    }
  });

  it("rejects bad options, naming the field", async () => {
    expect(() => otel({ statsCacheTtl: "soon" as never })).toThrow(InvalidArgumentError);
    expect(() => otel({ consumerContext: "child" as never })).toThrow(/consumerContext/);
    expect(() => otel({ propagateBaggage: "yes" as never })).toThrow(/propagateBaggage/);
    for (const maxMetadataBytes of [-1, 1.5, Number.NaN, "16KiB" as never]) {
      expect(() => otel({ maxMetadataBytes }), String(maxMetadataBytes)).toThrow(/maxMetadataBytes/);
    }
    for (const [label, thrown] of await unreadableRefusals((options) => otel(options), {
      statsCacheTtl: "15s" as const,
    })) {
      expect(thrown, label).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as Error).message, label).toMatch(/could not be read/);
    }
  });
});
