import { ConfigError } from "@sched/core";
import { describe, expect, it } from "vitest";
import { fromEnv } from "../src/index.js";
import { REDIS_URL } from "./helpers.js";

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

describe("fromEnv reads the SCHEDULER_REDIS_* variables", () => {
  it("rejects SCHEDULER_REDIS_DB=-1 naming the variable", () => {
    const error = configErrorOf({ SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_REDIS_DB: "-1" });
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe("SCHEDULER_REDIS_DB");
    expect(error.message).toMatch(/SCHEDULER_REDIS_DB: expected an integer >= 0, got "-1"/);
  });

  it("never echoes a connection string in an error", () => {
    const wrongScheme = configErrorOf({ SCHEDULER_REDIS_URL: "postgres://user:hunter2@db:5432/app" });
    expect(wrongScheme.field).toBe("SCHEDULER_REDIS_URL");
    expect(wrongScheme.message).not.toContain("hunter2");
    const password = configErrorOf({
      SCHEDULER_REDIS_URL: REDIS_URL,
      SCHEDULER_REDIS_PASSWORD: "hunter2",
      SCHEDULER_REDIS_PASWORD_TYPO: "hunter2",
    });
    expect(password.message).not.toContain("hunter2");
  });

  it("suggests for SCHEDULER_REDIS_SENTINAL_NAME the closest known name", () => {
    const error = configErrorOf({
      SCHEDULER_REDIS_URL: REDIS_URL,
      SCHEDULER_REDIS_SENTINAL_NAME: "mymaster",
    });
    expect(error.field).toBe("SCHEDULER_REDIS_SENTINAL_NAME");
    expect(error.message).toContain("did you mean SCHEDULER_REDIS_SENTINEL_NAME?");
    expect(error.message).not.toContain("mymaster");
  });

  it("accepts every Redis variable, including those no code reads yet", async () => {
    const store = fromEnv({
      SCHEDULER_STORE: "redis",
      SCHEDULER_REDIS_URL: REDIS_URL,
      SCHEDULER_REDIS_KEY_PREFIX: "s:",
      SCHEDULER_REDIS_DB: "1",
      SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379,10.0.0.2:26379",
      SCHEDULER_REDIS_SENTINEL_NAME: "mymaster",
      SCHEDULER_REDIS_PASSWORD: "pw",
      SCHEDULER_REDIS_SENTINEL_PASSWORD: "pw2",
    });
    await store.close();
  });
});
