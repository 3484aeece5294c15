import type { StoreEvent } from "@sched/core/adapter";
import { waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, newJob, REDIS_URL, uniquePrefix } from "./helpers.js";

// The queue set: a store without `queues` claims from every queue it knows, a list read from
// Redis and kept for a second, plus the queues it hears of in events. A read of the set sent
// before another instance's enqueue added a queue can be answered after that enqueue's event.
const admin = adminClient();
const prefixes: string[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(admin, prefix);
  await admin.quit();
});

/**
 * A client whose SMEMBERS answers are held until `release()`: each is sent at once (so Redis
 * answers with the set as it is then), and its caller gets the answer only later.
 */
function heldQueueSetReads(): { client: Redis; held: () => number; release: () => void } {
  const client = new Redis(REDIS_URL);
  closers.push(() => client.quit());
  const real = client.smembers.bind(client) as (key: string) => Promise<string[]>;
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  let held = 0;
  const patched = async (key: string): Promise<string[]> => {
    const answer = await real(key);
    if (gate !== null) {
      held++;
      await gate;
    }
    return answer;
  };
  (client as unknown as { smembers: typeof patched }).smembers = patched;
  gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    client,
    held: () => held,
    release: () => {
      gate = null;
      open();
    },
  };
}

function claimOf(limit = 10) {
  const now = Date.now();
  return {
    queues: null,
    names: ["hello"],
    limit,
    now: new Date(now),
    lockedUntil: new Date(now + 30_000),
    workerId: "worker",
  };
}

/**
 * A worker store (its queue set reads held, see {@link heldQueueSetReads}) with a listener
 * subscribed, and a producer store on the same key prefix.
 */
async function subscribedWorker(): Promise<{
  reads: ReturnType<typeof heldQueueSetReads>;
  worker: RedisStore;
  producer: RedisStore;
  events: StoreEvent[];
}> {
  const keyPrefix = uniquePrefix("queue-set");
  prefixes.push(keyPrefix);
  const reads = heldQueueSetReads();
  const worker = new RedisStore({ client: reads.client, keyPrefix });
  const producer = new RedisStore({ client: admin, keyPrefix });
  closers.push(() => worker.close());
  const events: StoreEvent[] = [];
  closers.push(worker.subscribe((event) => events.push(event)) as () => Promise<void>);
  await worker.ping();
  return { reads, worker, producer, events };
}

describe("RedisStore's list of queues", () => {
  it("keeps a queue heard of in an event while a read of the queue set sent before that enqueue was unanswered", async () => {
    const { reads, worker, producer, events } = await subscribedWorker();

    // The worker's first claim reads the queue set, still empty; its answer is held.
    const first = worker.claimDueJobs(claimOf());
    await waitFor(() => reads.held() === 1, {
      timeout: "5s",
      description: "the queue set read to be answered",
    });
    const [job] = await producer.createJobs([newJob({ name: "hello", queue: "mail" })]);
    await waitFor(() => events.some((event) => event.type === "jobs" && event.queue === "mail"), {
      timeout: "5s",
      description: "the enqueue's event",
    });
    reads.release();

    // The event came after the read was sent: the answer without "mail" must not drop it.
    const claimed = [...(await first), ...(await worker.claimDueJobs(claimOf()))];
    expect(claimed.map((found) => found.id)).toEqual([job?.id]);
  });

  it("nextDueAt keeps a queue heard of in an event while a read of the queue set sent before that enqueue was unanswered", async () => {
    const { reads, worker, producer, events } = await subscribedWorker();

    const due = worker.nextDueAt({ queues: null, names: ["hello"] });
    await waitFor(() => reads.held() === 1, {
      timeout: "5s",
      description: "the queue set read to be answered",
    });
    await producer.createJobs([
      newJob({ name: "hello", queue: "reports", scheduledAt: new Date(Date.now() - 1) }),
    ]);
    await waitFor(() => events.some((event) => event.type === "jobs" && event.queue === "reports"), {
      timeout: "5s",
      description: "the enqueue's event",
    });
    reads.release();
    const answers = [await due, await worker.nextDueAt({ queues: null, names: ["hello"] })];
    expect(answers.some((answer) => answer !== null)).toBe(true);
  });
});
