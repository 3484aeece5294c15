import { storeSchedulerScenarios } from "@sched/testing/conformance";
import type { MongoClient } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { MongoStore } from "../src/index.js";
import { EMULATOR_SCENARIO_SKIPS, reportSkips } from "./emulator-skips.js";
import { startDeployment, type TestDeployment, uniquePrefix } from "./servers.js";

const DB = "sched_scenarios";
let deployment: TestDeployment;
const clients: MongoClient[] = [];

beforeAll(async () => {
  deployment = await startDeployment();
  reportSkips(deployment.kind, "scheduler scenarios", EMULATOR_SCENARIO_SKIPS);
});
afterAll(async () => {
  for (const client of clients) await client.close(true);
  await deployment?.stop();
});

// The scheduler's runtime on a MongoStore: each test gets collections of its own prefix; a peer is
// a second instance on it with a client of its own.
storeSchedulerScenarios(
  "MongoStore",
  () => new MongoStore({ client: deployment.client, dbName: DB, collectionPrefix: uniquePrefix("e2e") }),
  {
    openPeer: (store) => {
      const client = deployment.newClient();
      clients.push(client);
      return new MongoStore({ client, dbName: DB, collectionPrefix: (store as MongoStore).collectionPrefix });
    },
    // Read when the suite is defined, before the deployment starts: the kind comes from the env.
    skip: (process.env.SCHED_MONGODB_URL ?? "") !== "" ? [] : EMULATOR_SCENARIO_SKIPS,
  },
);
