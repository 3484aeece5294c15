import type { Store } from "@sched/core";
import { type ConformanceSkip, storeConformance } from "@sched/testing/conformance";
import type { ClientSession } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { MongoStore } from "../src/index.js";
import { EMULATOR_SKIPS, reportSkips } from "./emulator-skips.js";
import { startDeployment, type TestDeployment, uniquePrefix } from "./servers.js";

const DB = "sched_conformance";
let deployment: TestDeployment;
const peers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  deployment = await startDeployment();
  reportSkips(deployment.kind, "store conformance");
});
afterAll(async () => {
  for (const peer of peers) await peer.close();
  await deployment?.stop();
});

async function open(prefix: string): Promise<MongoStore> {
  const store = new MongoStore({ client: deployment.client, dbName: DB, collectionPrefix: prefix });
  // Reaching the deployment fixes the store's capabilities before the suite reads them.
  await store.migrate();
  return store;
}

async function dropAll(store: Store): Promise<void> {
  const prefix = (store as MongoStore).collectionPrefix;
  const db = deployment.client.db(DB);
  for (const name of ["jobs", "schedules", "meta", "queues", "groups", "dedupe", "instances", "throughput"])
    await db.collection(`${prefix}${name}`).deleteMany({});
}

const skips: ConformanceSkip[] = [];
// Read when the suite is defined: the deployment is not started yet, so the kind comes from the env.
const realServer = (process.env.SCHED_MONGODB_URL ?? "") !== "";
if (!realServer) skips.push(...EMULATOR_SKIPS);

// Each test gets collections of its own prefix; a peer is another store on the same prefix with a
// client of its own; a wipe deletes every document of the prefix's collections.
storeConformance("MongoStore", () => open(uniquePrefix("conf")), {
  cleanup: dropAll,
  openPeer: async (store) => {
    const client = deployment.newClient();
    peers.push(client);
    const peer = new MongoStore({
      client,
      dbName: DB,
      collectionPrefix: (store as MongoStore).collectionPrefix,
    });
    await peer.migrate();
    return peer;
  },
  wipe: dropAll,
  beginTransaction: async () => {
    const session: ClientSession = deployment.client.startSession();
    session.startTransaction();
    return {
      transaction: session,
      commit: async () => {
        try {
          await session.commitTransaction();
        } finally {
          await session.endSession();
        }
      },
      rollback: async () => {
        try {
          await session.abortTransaction();
        } finally {
          await session.endSession();
        }
      },
    };
  },
  skip: skips,
});
