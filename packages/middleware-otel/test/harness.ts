import { type Attributes, context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { Scheduler } from "@sched/core";
import { afterEach } from "vitest";

// Active contexts follow async calls, as with the OpenTelemetry Node.js SDK.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** A tracer provider and a meter provider of the real SDK, recording in memory. */
export class Telemetry {
  readonly spanExporter = new InMemorySpanExporter();
  readonly tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(this.spanExporter)],
  });
  readonly metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  readonly reader = new PeriodicExportingMetricReader({
    exporter: this.metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });

  /** The spans ended so far, optionally only those named `name`. */
  spans(name?: string): ReadableSpan[] {
    const spans = this.spanExporter.getFinishedSpans();
    return name === undefined ? spans : spans.filter((span) => span.name === name);
  }

  /** The one ended span named `name`; fails when there is not exactly one. */
  span(name: string): ReadableSpan {
    const spans = this.spans(name);
    if (spans.length !== 1) throw new Error(`expected one span named ${name}, found ${spans.length}`);
    return spans[0]!;
  }

  /** Collects the metrics now (a scrape), by name. */
  async collect(): Promise<Map<string, MetricData>> {
    this.metricExporter.reset();
    await this.reader.forceFlush();
    const out = new Map<string, MetricData>();
    for (const resource of this.metricExporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
      }
    }
    return out;
  }

  /** Shuts both providers down. */
  async shutdown(): Promise<void> {
    await this.tracerProvider.shutdown();
    await this.meterProvider.shutdown();
  }
}

/** Whether every entry of `subset` is in `attributes`. */
function matches(attributes: Attributes, subset: Attributes): boolean {
  return Object.entries(subset).every(([key, value]) => attributes[key] === value);
}

/** The sum of a counter's or gauge's points whose attributes include `subset`. */
export function total(metric: MetricData | undefined, subset: Attributes = {}): number {
  if (!metric) return 0;
  return (metric.dataPoints as DataPoint<number>[])
    .filter((point) => matches(point.attributes, subset))
    .reduce((sum, point) => sum + point.value, 0);
}

/** The histogram points whose attributes include `subset`. */
export function histogram(metric: MetricData | undefined, subset: Attributes = {}): Histogram[] {
  if (!metric) return [];
  return (metric.dataPoints as DataPoint<Histogram>[])
    .filter((point) => matches(point.attributes, subset))
    .map((point) => point.value);
}

/** Lets the event loop run until `condition` holds; fails after `ms` of real time. */
export async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A logger that keeps nothing. */
export const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The schedulers and telemetry a test file makes, pushed by its tests: after each test every
 * scheduler is stopped and every telemetry shut down.
 */
export function stoppedAfterEach(): { started: Scheduler[]; telemetry: Telemetry[] } {
  const started: Scheduler[] = [];
  const telemetry: Telemetry[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop({ timeout: 0 })));
    await Promise.all(telemetry.splice(0).map((t) => t.shutdown()));
  });
  return { started, telemetry };
}
