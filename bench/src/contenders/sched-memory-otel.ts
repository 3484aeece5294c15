import { trace } from "@opentelemetry/api";
import { otel } from "@sched/middleware-otel";
import type { Contender } from "../contender.js";
import { createContender as createMemoryContender } from "./sched-memory.js";

/**
 * `sched-memory` with `use(otel())` and no OpenTelemetry SDK registered: the middleware on the
 * global no-op tracer and meter providers, as in an application that installs it but exports
 * nothing. Its figures divided by sched-memory's are what the middleware costs when unused.
 */
export function createContender(): Contender {
  // Nothing in the child registers an SDK; a recording span would mean something did, and the
  // figures would measure span processing instead of the no-op path.
  const probe = trace.getTracer("@sched/bench").startSpan("probe");
  const recording = probe.isRecording();
  probe.end();
  if (recording) {
    throw new Error("sched-memory-otel: an OpenTelemetry SDK is registered; expected the no-op providers");
  }
  return createMemoryContender([otel()]);
}
