import { type Context, context, isSpanContextValid, type Span, SpanStatusCode } from "@opentelemetry/api";
import { ATTR } from "./names.js";
import type { TelemetryFaults } from "./telemetry-faults.js";

/** Whether `span` is the API's no-op span: not recording, and with no valid context to propagate. */
export function isNoop(span: Span): boolean {
  return !span.isRecording() && !isSpanContextValid(span.spanContext());
}

/** `value` as an Error, never throwing (a thrown object whose `toString` throws included). */
export function asError(value: unknown): Error {
  try {
    return value instanceof Error ? value : new Error(String(value));
  } catch {
    return new Error("a value that is not an Error was thrown");
  }
}

/** Records `err` on `span` as the exception that failed it: status, `error.type`, an event. */
export function markError(span: Span, err: unknown): void {
  const error = asError(err);
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute(ATTR.errorType, error.name || "Error");
}

/** Ends `span`; a span processor or exporter that throws in `onEnd` is reported, not thrown. */
export function endSpan(span: Span, faults: TelemetryFaults): void {
  faults.run("tracing", () => span.end());
}

/**
 * Calls `fn` once, inside `active` when given. `fn`'s own result or throw is what the caller gets;
 * a context manager that fails is reported and `fn` runs (or its result is kept) without it.
 */
export function runInContext<T>(active: Context | undefined, fn: () => T, faults: TelemetryFaults): T {
  if (active === undefined) return fn();
  let called = false;
  let threw = false;
  let thrown: unknown;
  let result: T | undefined;
  try {
    context.with(active, () => {
      called = true;
      try {
        result = fn();
      } catch (err) {
        threw = true;
        thrown = err;
      }
    });
  } catch (err) {
    // Thrown by the context manager itself, before or after `fn` ran: `fn` must still run, once.
    faults.failed("tracing", err);
    if (!called) return fn();
  }
  if (threw) throw thrown;
  return result as T;
}
