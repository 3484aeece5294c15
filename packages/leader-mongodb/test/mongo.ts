import { randomUUID } from "node:crypto";
import { congodb } from "@push.rocks/smartmongo";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { MongoLeader, type MongoLeaderOptions } from "../src/index.js";

/** A real MongoDB to test against, when the environment names one. */
const REAL_URL = process.env.SCHED_MONGODB_URL;

/** Whether the tests run on a real MongoDB (`SCHED_MONGODB_URL`) rather than on the CongoDB emulator. */
export const onRealMongo = REAL_URL !== undefined && REAL_URL !== "";

/** What the tests of one file connect to. */
export interface MongoTarget {
  /** A URL of the file's own database, for leaders and clients. */
  url: string;
  /** The file's own database. */
  dbName: string;
  /** `host:port` of the server, as the leader's errors name it. */
  address: string;
  /** A client for inspecting and changing lease documents behind the leaders' backs. */
  admin: MongoClient;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A unique lease name, so tests of one file never compete. */
export function uniqueName(): string {
  return `lease-${randomUUID()}`;
}

/**
 * `url` with `serverMonitoringMode=poll` and the database `dbName`: the emulator fails every
 * streaming heartbeat (MONGODB.md); harmless on a real server.
 */
export function urlFor(base: string, dbName: string): string {
  const [withoutQuery, query] = base.split("?") as [string, string | undefined];
  const hostPart = withoutQuery.replace(/^(mongodb(?:\+srv)?:\/\/[^/]*).*$/i, "$1");
  const params = new URLSearchParams(query ?? "");
  params.set("serverMonitoringMode", "poll");
  return `${hostPart}/${dbName}?${params.toString()}`;
}

/**
 * Starts the file's target before its tests (a real MongoDB when `SCHED_MONGODB_URL` is set, the
 * CongoDB emulator on a free port otherwise) with a database of the file's own, and drops the
 * database and stops the emulator afterwards. The fields are filled once `beforeAll` has run.
 */
export function useMongo(label: string): MongoTarget {
  const target = { dbName: `sched_leader_${label}_${randomUUID().slice(0, 8)}` } as MongoTarget;
  let emulator: InstanceType<typeof congodb.CongoServer> | null = null;
  beforeAll(async () => {
    let base = REAL_URL ?? "";
    if (!onRealMongo) {
      emulator = new congodb.CongoServer({ port: 0, host: "127.0.0.1" });
      await emulator.start();
      // The port is read from the listening socket: getConnectionUri() reports the requested one, 0.
      const port = (emulator as unknown as { server: { address(): { port: number } } }).server.address().port;
      base = `mongodb://127.0.0.1:${port}`;
    }
    target.url = urlFor(base, target.dbName);
    target.admin = new MongoClient(target.url);
    await target.admin.connect();
    target.address = (target.admin.options.hosts ?? []).map(String).join(",");
  });
  afterAll(async () => {
    await target.admin
      ?.db(target.dbName)
      .dropDatabase()
      .catch(() => undefined);
    await target.admin?.close();
    await emulator?.stop();
  });
  return target;
}

/** Creates leaders for one test and closes them all afterwards. */
export function leaderFactory(target: MongoTarget): {
  make(options?: MongoLeaderOptions): MongoLeader;
  closeAll(): Promise<void>;
} {
  const made: MongoLeader[] = [];
  return {
    make(options = {}) {
      const connection = options.client ? { dbName: target.dbName } : { url: target.url };
      const leader = new MongoLeader({ ...connection, ...options });
      made.push(leader);
      return leader;
    },
    async closeAll() {
      await Promise.all(made.splice(0).map((leader) => leader.close()));
    },
  };
}
