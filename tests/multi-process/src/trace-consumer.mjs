// @ts-check
// The consumer of the trace test, run as a child process after the producer: a scheduler using the
// OpenTelemetry middleware runs the jobs the producer left in the store ("flaky" fails its first
// attempt and is retried after a short delay), stops once MP_EXPECT_JOBS jobs have completed, then
// prints its finished spans as JSON lines and exits.
//
//   MP_EXPECT_JOBS  how many completed jobs to wait for
//   MP_DEADLINE_MS  how long to wait for them before failing (default 15000)
import { setTimeout as sleep } from "node:timers/promises";
import { createScheduler } from "@sched/core";
import { otel } from "@sched/middleware-otel";
import { createBackend } from "./backends.mjs";
import { setUpTracing } from "./tracing.mjs";

const env = process.env;
const expected = Number(env.MP_EXPECT_JOBS);
const deadline = Date.now() + Number(env.MP_DEADLINE_MS ?? 15_000);
const { tracerProvider, printSpansAndShutDown } = setUpTracing();
const { store, leader } = await createBackend(env);
const scheduler = createScheduler({
  store,
  workers: 4,
  pollInterval: 100,
  retry: { initialDelay: "50ms", jitter: 0 },
  logger: {
    debug() {},
    info() {},
    warn: (message) => console.error(`warn ${message}`),
    error: (message, fields) => console.error(`error ${message} ${JSON.stringify(fields ?? {})}`),
  },
}).use(otel({ tracerProvider }));

scheduler.register("steady", () => {});
scheduler.register("flaky", (_job, ctx) => {
  if (ctx.attempt === 1) throw new Error("first attempt fails");
});

let completed = 0;
try {
  await scheduler.start();
  for (;;) {
    completed = (await store.stats()).completed;
    if (completed >= expected || Date.now() > deadline) break;
    await sleep(50);
  }
} finally {
  await scheduler.stop({ timeout: "5s" });
  await store.close();
  await leader.close?.();
}
await printSpansAndShutDown();
if (completed < expected) {
  console.error(`only ${completed} of ${expected} jobs completed in time`);
  process.exitCode = 1;
}
// Nothing is left open: the process exits on its own.
