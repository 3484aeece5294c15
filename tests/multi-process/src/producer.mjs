// @ts-check
// A producer-only process, as a web server that only enqueues would be: a scheduler built from the
// SCHEDULER_* environment, one enqueue, then stop() without start(). It must exit on its own:
// stop() closes the store the scheduler created, and nothing else is left open.
import { createSchedulerFromEnv } from "@sched/core";

const scheduler = await createSchedulerFromEnv(process.env);
const job = await scheduler.enqueue({ name: "produced", payload: { n: 1 } });
console.log(`enqueued ${job.id}`);
await scheduler.stop();
console.log("stopped");
