import { afterAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, newJob, REDIS_URL, uniquePrefix } from "./helpers.js";

const prefix = uniquePrefix("close");
const admin = adminClient();

afterAll(async () => {
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

/** The timers alive in this process now. */
function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}

describe("RedisStore.close()", () => {
  it("leaves no timer behind once it resolves, after a clean QUIT of the command and event connections", async () => {
    const before = timers();
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const heard: string[] = [];
    const unsubscribe = store.subscribe((event) => heard.push(event.type));
    await store.createJobs([newJob()]);
    await store.ping();
    unsubscribe();
    await store.close();
    // A disconnect sent after the socket had closed left ioredis a 500 ms timer that nothing
    // cleared, which held the process that long after close().
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
