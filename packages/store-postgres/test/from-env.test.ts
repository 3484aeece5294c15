import { ConfigError, createSchedulerFromEnv } from "@sched/core";
import { describe, expect, it } from "vitest";
import * as adapter from "../src/index.js";
import { fromEnv } from "../src/index.js";
import { POSTGRES_URL } from "./helpers.js";

/** The ConfigError `fromEnv(env)` throws; fails the test when it throws something else or nothing. */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    void fromEnv(env).close();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

describe("fromEnv reads the SCHEDULER_POSTGRES_* variables", () => {
  it.each([
    [
      "SCHEDULER_POSTGRES_SCHEMA",
      "drop table;",
      /SCHEDULER_POSTGRES_SCHEMA: expected a lowercase SQL identifier/,
    ],
    ["SCHEDULER_POSTGRES_SCHEMA", "Jobs", /SCHEDULER_POSTGRES_SCHEMA: expected a lowercase SQL identifier/],
    ["SCHEDULER_POSTGRES_AUTO_MIGRATE", "sure", /SCHEDULER_POSTGRES_AUTO_MIGRATE: expected true or false/],
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    const error = configErrorOf({ SCHEDULER_POSTGRES_URL: POSTGRES_URL, [name]: value });
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe(name);
    expect(error.message).toMatch(message);
  });

  it("never echoes a connection string in an error", () => {
    const unparsable = configErrorOf({ SCHEDULER_POSTGRES_URL: "not a url hunter2" });
    expect(unparsable.field).toBe("SCHEDULER_POSTGRES_URL");
    expect(unparsable.message).not.toContain("hunter2");
    const wrongScheme = configErrorOf({ SCHEDULER_POSTGRES_URL: "redis://:hunter2@cache:6379" });
    expect(wrongScheme.field).toBe("SCHEDULER_POSTGRES_URL");
    expect(wrongScheme.message).not.toContain("hunter2");
  });

  it("suggests for SCHEDULER_POSTGRES_URI the closest known name, never echoing its value", () => {
    const error = configErrorOf({ SCHEDULER_POSTGRES_URI: "postgres://u:hunter2@db/app" });
    expect(error.field).toBe("SCHEDULER_POSTGRES_URI");
    expect(error.message).toContain("did you mean SCHEDULER_POSTGRES_URL?");
    expect(error.message).not.toContain("hunter2");
  });

  it("accepts every PostgreSQL variable", async () => {
    const store = fromEnv({
      SCHEDULER_STORE: "postgres",
      SCHEDULER_POSTGRES_URL: POSTGRES_URL,
      SCHEDULER_POSTGRES_SCHEMA: "jobs",
      SCHEDULER_POSTGRES_TABLE_PREFIX: "s_",
      SCHEDULER_POSTGRES_AUTO_MIGRATE: "false",
    });
    await store.close();
  });

  it("refuses a misspelt SCHEDULER_POSTGRES_* variable on the createSchedulerFromEnv path", async () => {
    await expect(
      createSchedulerFromEnv(
        { SCHEDULER_STORE: "postgres", SCHEDULER_POSTGRES_URL: POSTGRES_URL, SCHEDULER_POSTGRES_ULR: "x" },
        {},
        async () => adapter,
      ),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "SCHEDULER_POSTGRES_ULR" });
  });
});
