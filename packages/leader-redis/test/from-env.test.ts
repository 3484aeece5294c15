import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import type { RedisLeader } from "../src/index.js";
import { fromEnv } from "../src/index.js";
import { url } from "./redis.js";

/** The client a leader opened (a private field, read for the test). */
function clientOf(leader: RedisLeader): Redis {
  return (leader as unknown as { client: Redis }).client;
}

describe("fromEnv reads the SCHEDULER_REDIS_* variables", () => {
  it("accepts every Redis variable, the store's too", async () => {
    const leader = fromEnv({
      SCHEDULER_REDIS_URL: url,
      SCHEDULER_REDIS_KEY_PREFIX: "s:",
      SCHEDULER_REDIS_DB: "1",
      SCHEDULER_REDIS_PASSWORD: "pw",
    });
    expect(clientOf(leader).options).toMatchObject({ db: 1, password: "pw" });
    await leader.close();
  });

  it("connects through Sentinels with SCHEDULER_REDIS_SENTINELS, _SENTINEL_NAME and the passwords", async () => {
    const leader = fromEnv({
      SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379,10.0.0.2:26379",
      SCHEDULER_REDIS_SENTINEL_NAME: "mymaster",
      SCHEDULER_REDIS_PASSWORD: "pw",
      SCHEDULER_REDIS_SENTINEL_PASSWORD: "pw2",
    });
    expect(clientOf(leader).options).toMatchObject({
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "10.0.0.2", port: 26379 },
      ],
      name: "mymaster",
      password: "pw",
      sentinelPassword: "pw2",
    });
    // The leadership keeps its own name.
    expect(leader.name).toBe("scheduler");
    await leader.close();
  });

  it("refuses a URL and Sentinels together, and Sentinels without their name, never echoing a password", () => {
    expect(() =>
      fromEnv({
        SCHEDULER_REDIS_URL: url,
        SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379",
        SCHEDULER_REDIS_SENTINEL_NAME: "m",
      }),
    ).toThrow(/^SCHEDULER_REDIS_URL: set either/);
    expect(() => fromEnv({ SCHEDULER_REDIS_SENTINELS: "10.0.0.1:26379" })).toThrow(
      /^SCHEDULER_REDIS_SENTINEL_NAME: is required/,
    );
    expect(() => fromEnv({ SCHEDULER_REDIS_SENTINELS: "nope", SCHEDULER_REDIS_SENTINEL_NAME: "m" })).toThrow(
      /^SCHEDULER_REDIS_SENTINELS: /,
    );
    expect(() => fromEnv({ SCHEDULER_REDIS_URL: url, SCHEDULER_REDIS_SENTINEL_PASSWORD: "hunter2" })).toThrow(
      /^SCHEDULER_REDIS_SENTINEL_PASSWORD: (?!.*hunter2)/,
    );
    expect(() => fromEnv({})).toThrow(/^SCHEDULER_REDIS_URL: is required by @sched\/leader-redis/);
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
