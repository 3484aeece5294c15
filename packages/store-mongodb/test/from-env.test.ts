import { ConfigError } from "@sched/core";
import { describe, expect, it } from "vitest";
import { fromEnv, MongoStore } from "../src/index.js";

const url = "mongodb://127.0.0.1:27017/app";

describe("fromEnv reads the SCHEDULER_MONGODB_* variables", () => {
  it("builds a MongoStore from every MongoDB variable, the leader's too, without connecting", async () => {
    const store = fromEnv({
      SCHEDULER_MONGODB_URL: "mongodb://h1:27017,h2:27018/app?replicaSet=rs0",
      SCHEDULER_MONGODB_DATABASE: "jobs",
      SCHEDULER_MONGODB_COLLECTION_PREFIX: "s_",
      SCHEDULER_MONGODB_AUTO_MIGRATE: "false",
      SCHEDULER_INSTANCE_ID: "worker-1",
    });
    expect(store).toBeInstanceOf(MongoStore);
    await store.close();
  });

  it("requires the URL, and names the variable of a bad value without echoing the URL", () => {
    expect(() => fromEnv({})).toThrow(/^SCHEDULER_MONGODB_URL: is required/);
    expect(() => fromEnv({ SCHEDULER_MONGODB_URL: "redis://u:hunter2@h/0" })).toThrow(
      /^SCHEDULER_MONGODB_URL: (?!.*hunter2)/,
    );
    expect(() => fromEnv({ SCHEDULER_MONGODB_URL: "mongodb://u:hunter2@h:27017" })).toThrow(
      /^SCHEDULER_MONGODB_DATABASE: (?!.*hunter2)/,
    );
    expect(() => fromEnv({ SCHEDULER_MONGODB_URL: url, SCHEDULER_MONGODB_DATABASE: "a.b" })).toThrow(
      ConfigError,
    );
    expect(() => fromEnv({ SCHEDULER_MONGODB_URL: url, SCHEDULER_MONGODB_AUTO_MIGRATE: "sure" })).toThrow(
      /^SCHEDULER_MONGODB_AUTO_MIGRATE: /,
    );
  });

  it("suggests for a misspelt name the closest known one, and refuses another store's setting", () => {
    expect(() => fromEnv({ SCHEDULER_MONGODB_URL: url, SCHEDULER_MONGODB_DATABSE: "jobs" })).toThrow(
      /SCHEDULER_MONGODB_DATABSE: .*did you mean SCHEDULER_MONGODB_DATABASE\?/,
    );
    expect(() => fromEnv({ SCHEDULER_MONGODB_URL: url, SCHEDULER_REDIS_URL: "redis://h" })).toThrow(
      /SCHEDULER_REDIS_URL/,
    );
  });
});
