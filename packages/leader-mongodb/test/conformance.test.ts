import { FaultProxy } from "@sched/test-servers";
import { waitFor } from "@sched/testing";
import { leaderConformance } from "@sched/testing/conformance";
import { MongoClient } from "mongodb";
import { afterEach, describe, it } from "vitest";
import { leaseId, MongoLeader } from "../src/index.js";
import { onRealMongo, urlFor, useMongo } from "./mongo.js";

const target = useMongo("conformance");
const where = onRealMongo ? "a real MongoDB" : "the CongoDB emulator";

if (!onRealMongo) {
  // One visible line: what ran here, and what was not proven.
  console.info(
    "MongoLeader: the leader conformance suite ran on the CongoDB emulator; skipped: the same suite against a real MongoDB (set SCHED_MONGODB_URL to a replica set, server 6.0 or later)",
  );
}
describe("MongoLeader on a real MongoDB", () => {
  it.skipIf(!onRealMongo)("runs the conformance suite on a real MongoDB (SCHED_MONGODB_URL)", () => {});
});

// Each leader with its own client, opened from the URL.
leaderConformance(
  `MongoLeader (url, on ${where})`,
  ({ instanceId, ttlMs, namespace, logger }) =>
    new MongoLeader({ url: target.url, name: namespace, instanceId, ttl: ttlMs, logger }),
  { ttlMs: 400 },
);

/** Clients and proxies the failure scenarios made, closed after each test. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A proxy in front of the server, and a URL through it that reaches that one server only. */
async function proxied(): Promise<{ proxy: FaultProxy; url: string }> {
  const proxy = await FaultProxy.start(target.address);
  cleanups.push(() => proxy.close());
  const url = `${urlFor(`mongodb://127.0.0.1:${proxy.port}`, target.dbName)}&directConnection=true`;
  return { proxy, url };
}

// The failures, each on a client or a proxy of the test's own that it can cut, drop or stall.
leaderConformance(
  `MongoLeader (failures, on ${where})`,
  ({ instanceId, ttlMs, namespace, logger }) =>
    new MongoLeader({ url: target.url, name: namespace, instanceId, ttl: ttlMs, logger }),
  {
    ttlMs: 400,
    failures: {
      get address() {
        return target.address;
      },
      // A client of the test's own, closed behind the leader's back.
      cutConnection: async ({ instanceId, ttlMs, namespace, logger }) => {
        const client = new MongoClient(target.url);
        cleanups.push(() => client.close());
        const leader = new MongoLeader({
          client,
          dbName: target.dbName,
          name: namespace,
          instanceId,
          ttl: ttlMs,
          logger,
        });
        return { leader, act: () => client.close() };
      },
      // Every connection dropped by the proxy; the client notices and opens new ones.
      killIdleConnections: async ({ instanceId, ttlMs, namespace, logger }) => {
        const { proxy, url } = await proxied();
        const client = new MongoClient(url);
        cleanups.push(() => client.close());
        let closed = 0;
        client.on("connectionClosed", () => {
          closed += 1;
        });
        const leader = new MongoLeader({
          client,
          dbName: target.dbName,
          name: namespace,
          instanceId,
          ttl: ttlMs,
          logger,
        });
        const act = async (): Promise<void> => {
          proxy.dropConnections();
          await waitFor(() => closed > 0);
        };
        return { leader, act };
      },
      // The proxy holds up every answer of the server.
      stallBackend: async ({ instanceId, ttlMs, namespace, logger }) => {
        const { proxy, url } = await proxied();
        const leader = new MongoLeader({ url, name: namespace, instanceId, ttl: ttlMs, logger });
        const stall = async (): Promise<() => Promise<void>> => {
          proxy.stall();
          return async () => proxy.resume();
        };
        return { leader, stall };
      },
      // Another holder with a higher term, as a newer leadership would write it.
      stealLease: async (namespace) => {
        const leases = target.admin.db(target.dbName).collection("scheduler_leases");
        await leases.updateOne(
          { _id: leaseId(namespace) },
          {
            $set: { holder: "intruder", ttlMs: 10_000 },
            $inc: { term: 1 },
            $currentDate: { renewedAt: true },
          },
        );
        return async () => (await leases.findOne({ _id: leaseId(namespace) }))?.holder === "intruder";
      },
      refusedLeader: ({ instanceId, namespace, logger }) => {
        const secret = "s3cr3t-Pa55";
        const leader = new MongoLeader({
          url: `mongodb://someone:${secret}@127.0.0.1:1/test?serverMonitoringMode=poll`,
          name: namespace,
          instanceId,
          ttl: 5_000,
          commandTimeout: 250,
          logger,
        });
        return { leader, address: "127.0.0.1:1", secret };
      },
    },
  },
);
