import {
  type Context,
  createTraceState,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";

const TRACEPARENT = "traceparent";
const TRACESTATE = "tracestate";
const TRACEPARENT_FORMAT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The W3C Trace Context propagator (`traceparent` and `tracestate`), used when neither the options
 * nor the global OpenTelemetry API provide one. It writes nothing for an invalid (non-recording,
 * unsampled no-op) span context.
 */
export const w3cTraceContext: TextMapPropagator = {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
    setter.set(carrier, TRACEPARENT, `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const state = spanContext.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  },

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = first(getter.get(carrier, TRACEPARENT))?.trim();
    if (!header) return context;
    const match = TRACEPARENT_FORMAT.exec(header);
    if (!match) return context;
    const [, version, traceId, spanId, flags, rest] = match;
    // Version ff is invalid; version 00 has exactly four fields; later versions may add more.
    if (version === "ff" || (version === "00" && rest !== undefined)) return context;
    const spanContext: SpanContext = {
      traceId: traceId!,
      spanId: spanId!,
      traceFlags: Number.parseInt(flags!, 16),
      isRemote: true,
    };
    if (!isSpanContextValid(spanContext)) return context;
    const state = first(getter.get(carrier, TRACESTATE));
    if (state) spanContext.traceState = createTraceState(state);
    return trace.setSpanContext(context, spanContext);
  },

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  },
};
