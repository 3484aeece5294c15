import { ConfigError } from "@sched/core";
import type { Redis } from "ioredis";
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

  it("builds a store through Sentinels from SCHEDULER_REDIS_SENTINELS, _SENTINEL_NAME and the passwords", async () => {
    const store = fromEnv({
      SCHEDULER_STORE: "redis",
      SCHEDULER_REDIS_KEY_PREFIX: "s:",
      SCHEDULER_REDIS_DB: "1",
      SCHEDULER_REDIS_SENTINELS: " 10.0.0.1:26379, [::1]:26380 ,",
      SCHEDULER_REDIS_SENTINEL_NAME: "mymaster",
      SCHEDULER_REDIS_PASSWORD: "pw",
      SCHEDULER_REDIS_SENTINEL_PASSWORD: "pw2",
    });
    expect(store.redis.options).toMatchObject({
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "::1", port: 26380 },
      ],
      name: "mymaster",
      password: "pw",
      sentinelPassword: "pw2",
      db: 1,
    });
    await store.close();
  });

  it("SCHEDULER_REDIS_PASSWORD applies to a URL without one", async () => {
    const store = fromEnv({ SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_REDIS_PASSWORD: "pw" });
    expect((store.redis as Redis).options.password).toBe("pw");
    await store.close();
  });

  it("Sentinel variables that do not go together are refused, naming the variable and no password", () => {
    const sentinels = { SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379" };
    expect(configErrorOf({ ...sentinels }).field).toBe("SCHEDULER_REDIS_SENTINEL_NAME");
    expect(
      configErrorOf({ ...sentinels, SCHEDULER_REDIS_SENTINEL_NAME: "m", SCHEDULER_REDIS_URL: REDIS_URL })
        .field,
    ).toBe("SCHEDULER_REDIS_URL");
    expect(configErrorOf({ SCHEDULER_REDIS_URL: REDIS_URL, SCHEDULER_REDIS_SENTINEL_NAME: "m" }).field).toBe(
      "SCHEDULER_REDIS_SENTINEL_NAME",
    );
    const password = configErrorOf({
      SCHEDULER_REDIS_URL: REDIS_URL,
      SCHEDULER_REDIS_SENTINEL_PASSWORD: "hunter2",
    });
    expect(password.field).toBe("SCHEDULER_REDIS_SENTINEL_PASSWORD");
    expect(password.message).not.toContain("hunter2");
    for (const list of ["10.0.0.1", "10.0.0.1:0", "host:port", ",", "10.0.0.1:26379,:1"]) {
      const error = configErrorOf({ SCHEDULER_REDIS_SENTINELS: list, SCHEDULER_REDIS_SENTINEL_NAME: "m" });
      expect(error.field).toBe("SCHEDULER_REDIS_SENTINELS");
    }
    // A URL with a password given as the Sentinel list is named by its place, not quoted.
    const url = configErrorOf({
      SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379, redis://:hunter2@cache:6379",
      SCHEDULER_REDIS_SENTINEL_NAME: "m",
    });
    expect(url.message).toMatch(/entry 2 of 2 is a string of 27 characters$/);
    expect(url.message).not.toContain("hunter2");
    expect(configErrorOf({}).message).toContain("SCHEDULER_REDIS_SENTINELS");
  });
});
