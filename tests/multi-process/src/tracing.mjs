// @ts-check
// Tracing for the producer and consumer processes of the trace test: a tracer provider that keeps
// finished spans in memory, an async-local context manager (so an active span reaches the code it
// awaits), and a printer writing each finished span as one JSON line on stdout.
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/**
 * One finished span as printed: what the test compares across processes.
 * @typedef {{
 *   name: string,
 *   kind: number,
 *   traceId: string,
 *   spanId: string,
 *   parentSpanId: string | null,
 *   attributes: Record<string, unknown>,
 *   status: { code: number, message?: string },
 *   links: Array<{ traceId: string, spanId: string }>,
 * }} PrintedSpan
 */

export function setUpTracing() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  /** Prints every finished span, then shuts the provider down and releases the context manager. */
  async function printSpansAndShutDown() {
    for (const span of exporter.getFinishedSpans()) {
      const { traceId, spanId } = span.spanContext();
      /** @type {PrintedSpan} */
      const printed = {
        name: span.name,
        kind: span.kind,
        traceId,
        spanId,
        parentSpanId: span.parentSpanContext?.spanId ?? null,
        attributes: { ...span.attributes },
        status: { ...span.status },
        links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
      };
      process.stdout.write(`${JSON.stringify(printed)}\n`);
    }
    await tracerProvider.shutdown();
    context.disable();
  }

  return { tracerProvider, printSpansAndShutDown };
}
