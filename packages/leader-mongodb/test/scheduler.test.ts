import { leaderSchedulerScenarios } from "@sched/testing/conformance";
import { leaseId, MongoLeader } from "../src/index.js";
import { useMongo } from "./mongo.js";

const target = useMongo("scheduler");

leaderSchedulerScenarios(
  "MongoLeader",
  ({ instanceId, ttlMs, namespace }) =>
    new MongoLeader({ url: target.url, name: namespace, instanceId, ttl: ttlMs }),
  {
    leaseHolder: async (namespace) => {
      const lease = await target.admin
        .db(target.dbName)
        .collection("scheduler_leases")
        .findOne({ _id: leaseId(namespace) });
      return (lease?.holder as string | null | undefined) ?? null;
    },
  },
);
