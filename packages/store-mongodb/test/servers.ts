import { randomUUID } from "node:crypto";
import { congodb } from "@push.rocks/smartmongo";
import { MongoClient } from "mongodb";
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
