import { StoreError, uuidv7Generator } from "@sched/core";
import { waitFor } from "@sched/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { isListening, TestSchemas, uniqueName } from "./helpers.js";

const schemas = new TestSchemas();
let schema: string;
const nextId = uuidv7Generator();
const T0 = new Date("2030-01-01T00:00:00.000Z");

beforeAll(async () => {
  schema = await schemas.migrated("sched_faults");
});
afterAll(() => schemas.dropAll());

function newJob(overrides: { queue?: string; payload?: unknown; uniqueKey?: string | null } = {}) {
  return {
    id: nextId(),
    name: "fault",
    payload: overrides.payload ?? null,
    queue: overrides.queue ?? "default",
    priority: 0,
    maxRetries: 0,
    timeout: 1_000,
    scheduledAt: T0,
    createdAt: T0,
    status: "pending" as const,
    metadata: {},
    uniqueKey: overrides.uniqueKey ?? null,
  };
}

async function terminateBackends(applicationName: string): Promise<number> {
  const { rowCount } = await schemas.admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    [applicationName],
  );
  return rowCount ?? 0;
}

async function listenerPid(applicationName: string): Promise<number | undefined> {
  const { rows } = await schemas.admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %' AND state = 'idle'",
    [applicationName],
  );
  return rows[0]?.pid;
}

describe("an unreachable server", () => {
  const password = "s3cr3t-Pa55word";
  const url = `postgres://scheduler:${password}@127.0.0.1:1/app`;

  it("a refused connection is a StoreError naming host and port, never the password or the URL", async () => {
    const store = new PostgresStore({ connectionString: url, schema: "public" });
    try {
      for (const call of [() => store.ping(), () => store.createJobs([newJob()]), () => store.stats()]) {
        const error = await call().catch((err: unknown) => err);
        expect(error).toBeInstanceOf(StoreError);
        const message = (error as StoreError).message;
        expect(message).toContain("127.0.0.1:1");
        expect(message).not.toContain(password);
        expect(message).not.toContain(url);
        expect((error as StoreError).cause).toMatchObject({ code: "ECONNREFUSED" });
      }
    } finally {
      await store.close();
    }
  });

  it("migrate() against a refused connection fails the same way", async () => {
    const store = new PostgresStore({ connectionString: url, schema: "public" });
    try {
      const error = (await store.migrate().catch((err: unknown) => err)) as StoreError;
      expect(error).toMatchObject({ code: "STORE_ERROR" });
      expect(error.message).toContain("127.0.0.1:1");
      expect(error.message).not.toContain(password);
    } finally {
      await store.close();
    }
  });

  it("subscribing while the server is unreachable raises nothing, and close() stops the retries", async () => {
    const store = new PostgresStore({ connectionString: url, schema: "public" });
    const unsubscribe = store.subscribe(() => {});
    await store.ping().catch(() => {});
    unsubscribe();
    store.subscribe(() => {});
    await store.close();
  });
});

describe("connections terminated by the server", () => {
  it("after pg_terminate_backend of all its connections, the store's next calls work and LISTEN resumes", async () => {
    const applicationName = uniqueName("sched_term");
    const store = schemas.store(schema, { applicationName });
    const producer = schemas.store(schema);
    const heard: string[] = [];
    const unsubscribe = store.subscribe((event) =>
      heard.push(event.type === "jobs" ? event.queue : event.type),
    );
    try {
      // Fill the pool with idle connections, and get the LISTEN connection up.
      await Promise.all([
        store.ping(),
        store.stats(),
        store.listJobs({}),
        store.nextDueAt({ queues: null, names: null }),
      ]);
      await waitFor(() => isListening(schemas.admin, applicationName), {
        timeout: "5s",
        description: "the LISTEN connection",
      });
      const before = await listenerPid(applicationName);

      expect(await terminateBackends(applicationName)).toBeGreaterThanOrEqual(2);

      // The very next calls succeed: a connection that died idle in the pool is replaced.
      const [job] = await store.createJobs([newJob({ queue: "after-kill" })]);
      expect(await store.getJob(job!.id)).toMatchObject({ status: "pending" });
      expect((await store.stats()).pending).toBeGreaterThanOrEqual(1);

      // The LISTEN connection comes back on its own (a new backend), says so once with a connected
      // event (notifications sent meanwhile were lost), and delivers again.
      await waitFor(
        async () => {
          const pid = await listenerPid(applicationName);
          return pid !== undefined && pid !== before;
        },
        { timeout: "5s", description: "the LISTEN connection to reconnect" },
      );
      await waitFor(() => heard.includes("connected"), { timeout: "5s", description: "the connected event" });
      expect(heard.filter((event) => event === "connected")).toHaveLength(1);
      const queue = uniqueName("q");
      await producer.createJobs([newJob({ queue })]);
      await waitFor(() => heard.includes(queue), {
        timeout: "5s",
        description: "a wake-up through the new LISTEN connection",
      });
    } finally {
      unsubscribe();
      await Promise.all([store.close(), producer.close()]);
    }
  });

  it("a connection terminated in the middle of a statement fails that call with a StoreError, not the process", async () => {
    const applicationName = uniqueName("sched_midquery");
    const store = schemas.store(schema, { applicationName, poolSize: 1 });
    try {
      await store.ping();
      // A pg_sleep on the store's only connection, killed while it runs.
      const pool = (store as unknown as { pool: import("pg").Pool }).pool;
      const sleeping = pool.query("SELECT pg_sleep(10)").catch((err: unknown) => err);
      await waitFor(
        async () => {
          const { rows } = await schemas.admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
            [applicationName],
          );
          return rows.length > 0;
        },
        { timeout: "5s", description: "the sleeping statement" },
      );
      await terminateBackends(applicationName);
      expect(await sleeping).toMatchObject({ code: "57P01" });
      await store.ping();
    } finally {
      await store.close();
    }
  });
});

describe("errors from the server", () => {
  it("a statement the server refuses is a StoreError naming the operation, with the driver error as cause", async () => {
    const store = schemas.store(schema);
    try {
      // text cannot hold U+0000 (the runtime refuses it before a store sees it).
      const error = (await store
        .createJobs([newJob({ uniqueKey: "nul\u0000byte" })])
        .catch((err: unknown) => err)) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(/^PostgreSQL createJobs failed \(at [^)]+\): .*\[22P05\]$/);
      expect(error.cause).toMatchObject({ code: "22P05" });
      // The connection survived the refused statement.
      await store.ping();
    } finally {
      await store.close();
    }
  });

  it("a unique-key conflict names the key and the job holding it", async () => {
    const store = schemas.store(schema);
    try {
      const key = uniqueName("k");
      const [holder] = await store.createJobs([newJob({ uniqueKey: key })]);
      await expect(store.createJobs([newJob({ uniqueKey: key })])).rejects.toMatchObject({
        code: "JOB_ALREADY_EXISTS",
        uniqueKey: key,
        existingJobId: holder!.id,
      });
    } finally {
      await store.close();
    }
  });

  it("requeueing a job whose unique key was taken meanwhile is JobAlreadyExistsError and leaves it dead", async () => {
    const store = schemas.store(schema);
    try {
      const key = `k(${uniqueName("odd")}) already`;
      const queue = uniqueName("q");
      await store.createJobs([newJob({ uniqueKey: key, queue })]);
      const [running] = await store.claimDueJobs({
        queues: [queue],
        names: null,
        limit: 1,
        now: T0,
        lockedUntil: new Date(T0.getTime() + 1_000),
        workerId: "w",
      });
      const dead = await store.failJob(
        { id: running!.id, queue, attempt: 1, lockedBy: "w" },
        { now: T0, error: "boom", retryAt: null },
      );
      const [taker] = await store.createJobs([newJob({ uniqueKey: key, queue })]);
      await expect(store.requeueJob(running!.id, T0)).rejects.toMatchObject({
        code: "JOB_ALREADY_EXISTS",
        uniqueKey: key,
        existingJobId: taker!.id,
      });
      expect(await store.getJob(running!.id)).toEqual(dead);
    } finally {
      await store.close();
    }
  });

  it("an invalid Date is an InvalidArgumentError naming the field, before anything is sent", async () => {
    const store = schemas.store(schema);
    try {
      await expect(store.cancelJob("x", new Date(Number.NaN))).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        field: "now",
      });
      await expect(store.createJobs([{ ...newJob(), scheduledAt: new Date("nope") }])).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        field: "scheduledAt",
      });
    } finally {
      await store.close();
    }
  });
});

describe("many calls at once", () => {
  it("50 calls waiting for 2 pooled connections all answer, with no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on("warning", onWarning);
    const store = schemas.store(await schemas.migrated("sched_many_calls"), { poolSize: 2 });
    try {
      const found = await Promise.all(Array.from({ length: 50 }, () => store.getJob(nextId())));
      expect(found).toEqual(Array.from({ length: 50 }, () => null));
      // Warnings are emitted on the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await store.close();
    }
  });
});
