// @ts-check
/**
 * @sched's dashboard on localhost: a scheduler on the in-memory store with live work (jobs every
 * second over three queues and two tenants, a paused queue, a failing job that ends in the dead
 * letters, a cron schedule), and the HTTP API with the web UI at its root. It prints the URL and
 * two fresh tokens: one that may only look (`read`) and one that may act (`write`).
 *
 * Run: `pnpm --filter @sched/example-dashboard start`, open the URL, paste a token. Ctrl-C stops.
 * DASHBOARD_EXAMPLE_PORT picks the port (default 3000; 0 for any free one) and
 * DASHBOARD_EXAMPLE_RUN_MS stops it by itself after that long.
 */
import { randomBytes } from "node:crypto";
import { createScheduler, permanent } from "@sched/core";
import { createHttpHandler, serve } from "@sched/http";

const port = Number(process.env.DASHBOARD_EXAMPLE_PORT ?? 3000);
const runFor =
  process.env.DASHBOARD_EXAMPLE_RUN_MS === undefined ? null : Number(process.env.DASHBOARD_EXAMPLE_RUN_MS);
const readToken = randomBytes(24).toString("base64url");
const writeToken = randomBytes(24).toString("base64url");
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

const scheduler = createScheduler({ workers: 4, logger: { debug() {}, info() {}, warn() {}, error() {} } });
scheduler.register("send_email", async () => sleep(200), { queue: "emails" });
scheduler.register("sync_tenant", async () => sleep(400), { queue: "sync" });
scheduler.register(
  "charge_card",
  () => {
    throw permanent(new Error("card declined"));
  },
  { queue: "billing" },
);
await scheduler.configureQueue("sync", { group: { concurrency: 1 } });
await scheduler.schedule("nightly_report", "0 3 * * *", () => {});
await scheduler.start();
await scheduler.pauseQueue("newsletters");
for (let i = 0; i < 5; i++)
  await scheduler.enqueue({ name: "send_email", queue: "newsletters", payload: { i } });
await scheduler.enqueue({ name: "send_email", payload: { to: "later@example.com" }, delay: "1h" });
await scheduler.enqueue({ name: "charge_card", payload: { card: "4242" } });

const handler = createHttpHandler({
  scheduler,
  auth: {
    tokens: {
      [readToken]: { role: "read", name: "viewer" },
      [writeToken]: { role: "write", name: "operator" },
    },
  },
  payloads: { redact: ["card"] },
});
const server = await serve(handler, { port });
console.log(`dashboard: ${server.url}/`);
console.log(`read token:  ${readToken}`);
console.log(`write token: ${writeToken}`);

let n = 0;
const feed = setInterval(() => {
  n++;
  void scheduler.enqueue({ name: "send_email", payload: { n } });
  void scheduler.enqueue({ name: "sync_tenant", group: n % 2 === 0 ? "acme" : "globex", payload: { n } });
}, 1_000);

async function shutdown() {
  clearInterval(feed);
  await server.close();
  await scheduler.stop({ timeout: "2s" });
  console.log("stopped");
}
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());
if (runFor !== null) setTimeout(() => void shutdown(), runFor);
