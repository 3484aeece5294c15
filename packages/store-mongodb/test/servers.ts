import { randomUUID } from "node:crypto";
import { congodb } from "@push.rocks/smartmongo";
import type { NewJobRecord } from "@sched/core";
import { newJob } from "@sched/testing/conformance";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { MongoStore } from "../src/index.js";

/** The URL of a real MongoDB (a replica set, server 6.0 or later) to run against, when set. */
export const REAL_MONGODB_URL = process.env.SCHEDULER_MONGODB_URL ?? process.env.SCHED_MONGODB_URL;

/** A MongoDB to test against: a real one (`SCHED_MONGODB_URL`) or the CongoDB emulator in this process. */
export interface TestDeployment {
  /** `real` or `emulator`. */
  readonly kind: "real" | "emulator";
  /** A URL of the deployment (without a database). */
  readonly url: string;
  /** A client for the test file; the emulator needs `serverMonitoringMode: "poll"`. */
  readonly client: MongoClient;
  /** Another client with connections of its own (a second instance). */
  newClient(): MongoClient;
  stop(): Promise<void>;
}

/**
 * Starts the deployment the tests run against: the real MongoDB named by `SCHED_MONGODB_URL` when
 * set, otherwise a CongoDB emulator on a free port of 127.0.0.1 (see MONGODB.md for what it does
 * not enforce).
 */
export async function startDeployment(): Promise<TestDeployment> {
  if (REAL_MONGODB_URL !== undefined && REAL_MONGODB_URL !== "") {
    const url = REAL_MONGODB_URL;
    const client = new MongoClient(url);
    return { kind: "real", url, client, newClient: () => new MongoClient(url), stop: () => client.close() };
  }
  const server = new congodb.CongoServer({ port: 0, host: "127.0.0.1" });
  await server.start();
  const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
  const url = `mongodb://127.0.0.1:${address.port}/?serverMonitoringMode=poll&directConnection=true`;
  const client = new MongoClient(url);
  return {
    kind: "emulator",
    url,
    client,
    newClient: () => new MongoClient(url),
    stop: async () => {
      await client.close(true);
      await server.stop();
    },
  };
}

/** A store or client a test file closes after its tests. */
type Closable = { close(): Promise<void> };

/** A collection prefix no other test uses. */
export function uniquePrefix(label: string): string {
  return `t_${label}_${randomUUID().slice(0, 8)}_`;
}

/**
 * `count` migrated stores on one fresh collection prefix of `dbName`, as `count` instances would
 * open them: the first on the deployment's client, each other on a client of its own. Every store
 * and extra client is pushed to `opened`, for the test file to close.
 */
export async function storesOnOnePrefix(
  deployment: TestDeployment,
  dbName: string,
  label: string,
  count: number,
  opened: { close(): Promise<void> }[],
): Promise<MongoStore[]> {
  const prefix = uniquePrefix(label);
  const stores: MongoStore[] = [];
  for (let i = 0; i < count; i += 1) {
    const client = i === 0 ? deployment.client : deployment.newClient();
    if (i > 0) opened.push(client);
    const store = new MongoStore({ client, dbName, collectionPrefix: prefix });
    opened.push(store);
    await store.migrate();
    stores.push(store);
  }
  return stores;
}

/**
 * Starts the deployment before the test file's tests (as `deployment`); after them closes what
 * the tests pushed to `opened` (stores, clients), in order, and stops the deployment.
 */
export function useDeployment(): { readonly deployment: TestDeployment; readonly opened: Closable[] } {
  let deployment: TestDeployment | undefined;
  const opened: Closable[] = [];
  beforeAll(async () => {
    deployment = await startDeployment();
  });
  afterAll(async () => {
    for (const each of opened) await each.close();
    await deployment?.stop();
  });
  return {
    get deployment(): TestDeployment {
      if (deployment === undefined) throw new Error("the deployment starts before the tests");
      return deployment;
    },
    opened,
  };
}

/**
 * A pending job record due at 2030-01-01T00:00:00.000Z in queue `q`, named `work`, with no payload
 * and a 1 s timeout (the rest as `newJob` of the conformance suite); `overrides` replace any field.
 */
export function job(overrides: Partial<NewJobRecord> = {}): NewJobRecord {
  return newJob({ name: "work", queue: "q", payload: null, timeout: 1_000, ...overrides });
}
