import { describe, expect, it } from "vitest";
import { fromEnv } from "../src/index.js";
import { url } from "./redis.js";

describe("fromEnv reads the SCHEDULER_REDIS_* variables", () => {
  it("accepts every Redis variable, the store's too", async () => {
    const leader = fromEnv({
      SCHEDULER_REDIS_URL: url,
      SCHEDULER_REDIS_KEY_PREFIX: "s:",
      SCHEDULER_REDIS_DB: "1",
      SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379",
      SCHEDULER_REDIS_SENTINEL_NAME: "mymaster",
    });
    await leader.close();
  });

  it("suggests for a misspelt name the closest known one, and names a bad value's variable", () => {
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: url, SCHEDULER_REDIS_KEY_PREFX: "s:" })).toThrow(
      /SCHEDULER_REDIS_KEY_PREFX: .*did you mean SCHEDULER_REDIS_KEY_PREFIX\?/,
    );
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: url, SCHEDULER_REDIS_DB: "one" })).toThrow(
      /SCHEDULER_REDIS_DB: expected an integer >= 0/,
    );
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: "postgres://u:hunter2@db/app" })).toThrow(
      /^SCHEDULER_REDIS_URL: (?!.*hunter2)/,
    );
  });
});
