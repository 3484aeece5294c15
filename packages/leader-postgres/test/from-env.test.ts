import { ConfigError } from "@sched/core";
import { describe, expect, it } from "vitest";
import { fromEnv } from "../src/index.js";
import { connectionString } from "./postgres.js";

describe("fromEnv reads the SCHEDULER_POSTGRES_* variables", () => {
  it("accepts every PostgreSQL variable, the store's too", async () => {
    const leader = fromEnv({
      SCHEDULER_POSTGRES_URL: connectionString,
      SCHEDULER_POSTGRES_SCHEMA: "jobs",
      SCHEDULER_POSTGRES_TABLE_PREFIX: "s_",
      SCHEDULER_POSTGRES_AUTO_MIGRATE: "true",
      SCHEDULER_POSTGRES_POOL_MODE: "transaction",
      SCHEDULER_POSTGRES_LISTEN_URL: connectionString,
    });
    await leader.close();
  });

  it("names SCHEDULER_POSTGRES_POOL_MODE when it is neither session nor transaction", () => {
    expect(() =>
      fromEnv({ SCHEDULER_POSTGRES_URL: connectionString, SCHEDULER_POSTGRES_POOL_MODE: "statement" }),
    ).toThrow(/^SCHEDULER_POSTGRES_POOL_MODE: expected session or transaction/);
  });

  it("suggests for a misspelt name the closest known one, and names a bad value's variable", () => {
    expect(() =>
      fromEnv({ SCHEDULER_POSTGRES_URL: connectionString, SCHEDULER_POSTGRES_SHEMA: "jobs" }),
    ).toThrow(/SCHEDULER_POSTGRES_SHEMA: .*did you mean SCHEDULER_POSTGRES_SCHEMA\?/);
    expect(() =>
      fromEnv({ SCHEDULER_POSTGRES_URL: connectionString, SCHEDULER_POSTGRES_SCHEMA: "Jobs" }),
    ).toThrow(ConfigError);
    expect(() => fromEnv({ SCHEDULER_POSTGRES_URL: "not a url hunter2" })).toThrow(
      /^SCHEDULER_POSTGRES_URL: (?!.*hunter2)/,
    );
  });
});
