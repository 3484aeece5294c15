import { InvalidArgumentError, JobAlreadyExistsError, StoreError } from "@sched/core";
import { afterEach, describe, expect, it } from "vitest";
import { documentIdOf } from "../src/documents.js";
import { MongoStore } from "../src/index.js";
import { cursorReply, ScriptedServer } from "./scripted-server.js";

// Faults a real server cannot be made to produce on demand, from a scripted wire responder: a
// duplicate key that only the server's unique index sees (the concurrent enqueue won between the
// store's check and its insert), a primary that steps down under a write, a connection dropped
// in the middle of a call. Each must become the right typed error, and the store must go on.

let server: ScriptedServer | undefined;
let store: MongoStore | undefined;

afterEach(async () => {
  await store?.close();
  await server?.stop();
  store = undefined;
  server = undefined;
});

function job(uniqueKey: string | null = null) {
  return {
    id: "0190b6a8-0000-7000-8000-000000000001",
    name: "send",
    payload: { n: 1 },
    queue: "default",
    priority: 0,
    maxRetries: 3,
    timeout: 30_000,
    scheduledAt: new Date("2030-01-01T00:00:00Z"),
    createdAt: new Date("2030-01-01T00:00:00Z"),
    status: "pending" as const,
    metadata: {},
    uniqueKey,
  };
}

/** The reply of an insert of one document refused by a unique index (code 11000), with `error`'s fields. */
function duplicateKeyReply(error: Record<string, unknown>) {
  return { ok: 1, n: 0, writeErrors: [{ index: 0, code: 11000, ...error }] };
}

function open(url: string): MongoStore {
  return new MongoStore({ url, autoMigrate: false, operationTimeout: "5s", serverSelectionTimeout: "2s" });
}

describe("faults", () => {
  it("a duplicate key the server's unique index reports under a concurrent enqueue is JobAlreadyExistsError naming the holder", async () => {
    let finds = 0;
    server = await ScriptedServer.start((name) => {
      if (name === "find") {
        finds += 1;
        // The first look finds the key free; the one after the refused insert finds the winner.
        return cursorReply("faults.scheduler_jobs", finds === 1 ? [] : [{ id: "the-winner" }]);
      }
      if (name === "insert") {
        return duplicateKeyReply({
          errmsg: "E11000 duplicate key error collection: faults.scheduler_jobs index: unique_active_key",
        });
      }
      return undefined;
    });
    store = open(server.url());
    const error = await store.createJobs([job("invoice-42")]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(JobAlreadyExistsError);
    expect(error).toMatchObject({
      code: "JOB_ALREADY_EXISTS",
      uniqueKey: "invoice-42",
      existingJobId: "the-winner",
      queue: "default",
    });
  });

  it("a duplicate of the _id index (a job id already stored) is INVALID_ARGUMENT naming id, as on every store", async () => {
    // It was a JobAlreadyExistsError naming the id as a unique key; the other stores answer
    // INVALID_ARGUMENT (the conformance rule, which needs a real server to run here).
    const taken = job();
    const documentId = documentIdOf(`job:${taken.id}`);
    server = await ScriptedServer.start((name) => {
      if (name === "find") return cursorReply("faults.scheduler_jobs", []);
      if (name === "insert") {
        return duplicateKeyReply({
          keyPattern: { _id: 1 },
          keyValue: { _id: documentId },
          errmsg: `E11000 duplicate key error collection: faults.scheduler_jobs index: _id_ dup key: { _id: ObjectId('${documentId.toHexString()}') }`,
        });
      }
      return undefined;
    });
    store = open(server.url());
    const error = await store.createJobs([taken]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT", field: "id" });
    expect((error as Error).message).toContain(taken.id);
  });

  it("a primary stepping down under a write is a StoreError saying so, and the next call goes through", async () => {
    let steppedDown = false;
    server = await ScriptedServer.start((name) => {
      if (name === "insert" && !steppedDown) {
        steppedDown = true;
        return { ok: 0, code: 10107, codeName: "NotWritablePrimary", errmsg: "not primary" };
      }
      if (name === "insert") return { ok: 1, n: 1 };
      return undefined;
    });
    store = open(server.url());
    const error = await store.createJobs([job()]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("STORE_ERROR");
    expect((error as Error).message).toMatch(
      /MongoDB createJobs failed at 127\.0\.0\.1:\d+: the node is not the primary/,
    );
    expect(((error as Error).cause as { code?: unknown }).code).toBe(10107);
    const [created] = await store.createJobs([job()]);
    expect(created?.id).toBe(job().id);
  });

  it("a connection dropped in the middle of a call is a StoreError naming the unreachable server, and the store reconnects", async () => {
    let drops = 1;
    server = await ScriptedServer.start((name) => {
      if (name === "find" && drops > 0) {
        drops -= 1;
        return "drop";
      }
      if (name === "find") return cursorReply("faults.scheduler_jobs", []);
      return undefined;
    });
    store = open(server.url());
    const error = await store.getJob("missing").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/MongoDB at 127\.0\.0\.1:\d+ is unreachable \(getJob\)/);
    expect(await store.getJob("missing")).toBeNull();
  });

  it("a server that never answers is a StoreTimeoutError within operationTimeout", async () => {
    server = await ScriptedServer.start((name) => (name === "find" ? "hang" : undefined));
    store = new MongoStore({ url: server.url(), autoMigrate: false, operationTimeout: 300 });
    await expect(store.getJob("x")).rejects.toMatchObject({
      code: "STORE_TIMEOUT",
      operation: "getJob",
      timeoutMs: 300,
    });
  });
});
