import type { Duration } from "@sched/core";
import { FaultProxy } from "@sched/test-servers";
import { recordingLogger } from "@sched/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MongoLeader } from "../src/index.js";
import { uniqueName, urlFor, useMongo } from "./mongo.js";

// A server that hangs: a proxy holds every answer, with the connections left open, so only the
// leader's own limits end a call.
const target = useMongo("hangs");
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function hangingLeader(ttl: Duration): Promise<{ leader: MongoLeader; proxy: FaultProxy }> {
  const proxy = await FaultProxy.start(target.address);
  const url = `${urlFor(`mongodb://127.0.0.1:${proxy.port}`, target.dbName)}&directConnection=true`;
  const leader = new MongoLeader({ url, name: uniqueName(), ttl, logger: recordingLogger() });
  cleanups.push(async () => {
    await leader.close();
    await proxy.close();
  });
  return { leader, proxy };
}

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value?: T }> {
  const started = performance.now();
  const value = await call();
  return { ms: performance.now() - started, value };
}

/** Slack for timers and the event loop on a busy machine, in ms. */
const SLACK_MS = 750;

describe("a MongoLeader whose server hangs", () => {
  it("acquire() steps down and resolves false within the command timeout", async () => {
    const { leader, proxy } = await hangingLeader("30s");
    expect(await leader.acquire()).toBe(true);
    proxy.stall();
    const renewal = await timed(() => leader.acquire());
    expect(renewal.value).toBe(false);
    expect(renewal.ms).toBeLessThan(3_000 + SLACK_MS);
    expect(leader.isLeader()).toBe(false);
  });

  it("close() resolves within about 2.5 s, with a renewal in flight and the lease held", async () => {
    const { leader, proxy } = await hangingLeader("30s");
    expect(await leader.acquire()).toBe(true);
    proxy.stall();
    const renewal = leader.acquire();
    const close = await timed(() => leader.close());
    expect(close.ms).toBeLessThan(2_500 + SLACK_MS);
    expect(await renewal).toBe(false);
    expect(leader.isLeader()).toBe(false);
  });
});
