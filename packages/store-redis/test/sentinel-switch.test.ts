import { PrivateSentinelGroup } from "@sched/test-servers";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { deleteKeys, newJob, uniquePrefix } from "./helpers.js";

// A primary, its replica and three Sentinels of this file's own, failed over by hand
// (`SENTINEL FAILOVER`): the old primary stays up and takes writes until the Sentinels make it a
// replica of the new one, seconds later, and what it took meanwhile is gone then.
const group = new PrivateSentinelGroup();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => group.start(), 60_000);
afterAll(() => group.remove());

/** The open sockets of this process to the group's Sentinels. */
function socketsToSentinels(): number {
  const ports = new Set(group.sentinelAddresses.map((address) => address.port));
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((handle) => ports.has((handle as { remotePort?: number }).remotePort ?? -1)).length;
}

describe("RedisStore through Sentinel, failed over by hand", () => {
  it("close() leaves no connection to the Sentinels, those that listen for +switch-master included", async () => {
    const store = new RedisStore({
      sentinels: group.sentinelAddresses,
      name: group.name,
      keyPrefix: uniquePrefix("close"),
    });
    const unsubscribe = store.subscribe(() => {});
    await store.ping();
    await sleep(300);
    expect(socketsToSentinels()).toBeGreaterThan(0);
    unsubscribe();
    await store.close();
    await sleep(200);
    expect(socketsToSentinels()).toBe(0);
  });

  it("every write acknowledged after the Sentinels switched the primary is on the new primary", async () => {
    const store = new RedisStore({
      sentinels: group.sentinelAddresses,
      name: group.name,
      keyPrefix: uniquePrefix("switch"),
    });
    const sentinel = group.sentinelAddresses[0] as { host: string; port: number };
    const events = new Redis({ host: sentinel.host, port: sentinel.port, lazyConnect: true });
    events.on("error", () => {});
    let switchedAt: number | null = null;
    try {
      await events.subscribe("+switch-master");
      events.on("message", () => {
        switchedAt ??= Date.now();
      });
      await store.createJobs([newJob()]);
      const oldPort = await group.primaryPort();

      const acknowledged: { id: string; at: number }[] = [];
      let writing = true;
      const writer = (async () => {
        while (writing) {
          try {
            const [job] = await store.createJobs([newJob()]);
            if (job) acknowledged.push({ id: job.id, at: Date.now() });
          } catch {
            // Refused during the switch: not acknowledged, so not expected anywhere.
          }
          await sleep(20);
        }
      })();
      await group.command(sentinel.port, undefined, ["SENTINEL", "FAILOVER", group.name]);
      await group.waitForFailover(oldPort, 30_000);
      // Until the old primary is a replica again (its writes since the switch are then dropped).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const role = await group.command(oldPort, undefined, ["ROLE"]).catch(() => null);
        if (Array.isArray(role) && role[0] === "slave" && role[3] === "connected") break;
        if (Date.now() > deadline) throw new Error("the old primary did not become a replica");
        await sleep(100);
      }
      await sleep(500);
      writing = false;
      await writer;

      expect(switchedAt).not.toBeNull();
      // The client hears the switch from the Sentinels and reconnects; a write acknowledged in the
      // moment it takes may still have gone to the old primary.
      const after = acknowledged.filter((write) => write.at > (switchedAt as number) + 500);
      expect(after.length).toBeGreaterThan(10);
      const lost: string[] = [];
      for (const write of after) if ((await store.getJob(write.id)) === null) lost.push(write.id);
      expect(lost, `${lost.length} of ${after.length} acknowledged writes lost`).toEqual([]);
    } finally {
      events.disconnect();
      const admin = new Redis({ sentinels: group.sentinelAddresses, name: group.name, lazyConnect: true });
      admin.on("error", () => {});
      await deleteKeys(admin, store.keyPrefix).catch(() => {});
      admin.disconnect();
      await store.close();
    }
  }, 90_000);
});
