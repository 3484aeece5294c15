// @ts-check
// The producer of the trace test, run as a child process: inside an active span "request" it
// enqueues one job with `enqueue` and a batch with `enqueueMany` through a scheduler using the
// OpenTelemetry middleware, then prints its finished spans as JSON lines and exits. It never
// starts the scheduler: the jobs are left in the store for another process to run.
//
//   MP_QUEUE  the queue of the jobs (default "traced")
import { createScheduler } from "@sched/core";
import { otel } from "@sched/middleware-otel";
import { createBackend } from "./backends.mjs";
import { setUpTracing } from "./tracing.mjs";

const env = process.env;
const queue = env.MP_QUEUE ?? "traced";
const { tracerProvider, printSpansAndShutDown } = setUpTracing();
const { store, leader } = await createBackend(env);
const scheduler = createScheduler({
  store,
  logger: {
    debug() {},
    info() {},
    warn: (message) => console.error(`warn ${message}`),
    error: (message, fields) => console.error(`error ${message} ${JSON.stringify(fields ?? {})}`),
  },
}).use(otel({ tracerProvider }));

try {
  await tracerProvider.getTracer("trace-producer").startActiveSpan("request", async (span) => {
    try {
      await scheduler.enqueue({ name: "steady", queue, payload: { n: 1 } });
      await scheduler.enqueueMany([
        { name: "steady", queue, payload: { n: 2 } },
        { name: "flaky", queue, payload: { n: 3 }, maxRetries: 2 },
        { name: "steady", queue, payload: { n: 4 } },
      ]);
    } finally {
      span.end();
    }
  });
} finally {
  await store.close();
  await leader.close?.();
}
await printSpansAndShutDown();
// Nothing is left open: the process exits on its own.
