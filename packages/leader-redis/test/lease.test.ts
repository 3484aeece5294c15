import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { leaderFactory, sleep, uniqueName, url, useKeyPrefix } from "./redis.js";

const { keyPrefix, admin } = useKeyPrefix("lease");
const leaders = leaderFactory({ keyPrefix });
afterEach(() => leaders.closeAll());

describe("RedisLeader lease", () => {
  it("keeps the lease and its term under two keys that share one hash tag", async () => {
    const name = uniqueName();
    const a = leaders.make({ name, instanceId: "a", ttl: "10s" });
    expect(a.keys).toEqual({
      lease: `${keyPrefix}{leader:${name}}:lease`,
      term: `${keyPrefix}{leader:${name}}:term`,
    });
    expect(await a.acquire()).toBe(true);
    const token = await admin.get(a.keys.lease);
    expect(token).toMatch(/^a:[0-9a-f]{24}$/);
    expect(Number(await admin.get(a.keys.term))).toBe(a.term);
    const ttl = await admin.pttl(a.keys.lease);
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
    expect(await admin.pttl(a.keys.term)).toBe(-1);
  });

  it("leads as a Redis user whose keys are limited to ~<prefix>*: every key starts with the prefix", async () => {
    const user = `sched-test-${randomUUID().slice(0, 8)}`;
    const password = randomUUID();
    await admin.call(
      "ACL",
      "SETUSER",
      user,
      "reset",
      "on",
      `>${password}`,
      `~${keyPrefix}*`,
      ...["evalsha", "eval", "info", "ping", "client|setname", "get", "set", "incr", "pexpire", "del"].map(
        (command) => `+${command}`,
      ),
    );
    try {
      const limited = new URL(url);
      limited.username = user;
      limited.password = password;
      const leader = leaders.make({ url: limited.toString(), name: uniqueName(), instanceId: "a" });
      expect(await leader.acquire()).toBe(true);
      expect(await leader.acquire()).toBe(true);
      await leader.release();
      expect(await admin.exists(leader.keys.lease)).toBe(0);
      expect(Number(await admin.get(leader.keys.term))).toBe(1);
    } finally {
      await admin.call("ACL", "DELUSER", user);
    }
  });

  it("renewal extends the same token's expiry and keeps the term", async () => {
    const a = leaders.make({ name: uniqueName(), instanceId: "a", ttl: "2s" });
    expect(await a.acquire()).toBe(true);
    const token = await admin.get(a.keys.lease);
    const term = a.term;
    await sleep(300);
    expect(await admin.pttl(a.keys.lease)).toBeLessThan(1_800);
    expect(await a.acquire()).toBe(true);
    expect(await admin.pttl(a.keys.lease)).toBeGreaterThan(1_850);
    expect(await admin.get(a.keys.lease)).toBe(token);
    expect(a.term).toBe(term);
    expect(Number(await admin.get(a.keys.term))).toBe(term);
  });

  it("every new leadership gets a new token", async () => {
    const a = leaders.make({ name: uniqueName(), instanceId: "a", ttl: "10s" });
    expect(await a.acquire()).toBe(true);
    const first = await admin.get(a.keys.lease);
    await a.release();
    expect(await admin.exists(a.keys.lease)).toBe(0);
    expect(await a.acquire()).toBe(true);
    expect(await admin.get(a.keys.lease)).not.toBe(first);
  });

  it("terms strictly increase across many handovers, by release, expiry and deletion", async () => {
    const name = uniqueName();
    const all = ["a", "b", "c"].map((instanceId) => leaders.make({ name, instanceId, ttl: 200 }));
    const terms: number[] = [];
    for (let round = 0; round < 30; round++) {
      const leader = all[round % all.length]!;
      expect(await leader.acquire()).toBe(true);
      terms.push(leader.term);
      if (round % 10 === 9) {
        await sleep(210); // let it expire
      } else if (round % 5 === 4) {
        await admin.del(leader.keys.lease); // lost behind its back
        expect(await leader.acquire()).toBe(false); // its renewal notices, and it steps down
      } else {
        await leader.release();
      }
    }
    for (let i = 1; i < terms.length; i++) expect(terms[i]!).toBeGreaterThan(terms[i - 1]!);
    expect(Number(await admin.get(all[0]!.keys.term))).toBe(terms.at(-1));
  });

  it("of ten concurrent acquirers exactly one leads, and the term rises once", async () => {
    const name = uniqueName();
    const all = Array.from({ length: 10 }, (_, i) => leaders.make({ name, instanceId: `i${i}`, ttl: "10s" }));
    const acquired = await Promise.all(all.map((leader) => leader.acquire()));
    expect(acquired.filter(Boolean)).toHaveLength(1);
    const winner = all[acquired.indexOf(true)]!;
    expect(all.filter((leader) => leader.isLeader())).toEqual([winner]);
    expect(winner.term).toBe(1);
    expect(await admin.get(winner.keys.term)).toBe("1");
    expect(all.map((leader) => leader.term).filter((term) => term !== 0)).toEqual([1]);
  });

  it("an old holder can neither renew nor release a newer holder's lease", async () => {
    const name = uniqueName();
    const a = leaders.make({ name, instanceId: "a", ttl: "10s" });
    const b = leaders.make({ name, instanceId: "b", ttl: "10s" });
    expect(await a.acquire()).toBe(true);
    // a's lease vanishes (as if it expired) and b takes the lease while a still believes it leads.
    await admin.del(a.keys.lease);
    expect(await b.acquire()).toBe(true);
    const bToken = await admin.get(b.keys.lease);
    expect(a.isLeader()).toBe(true);

    expect(await a.acquire()).toBe(false);
    expect(a.isLeader()).toBe(false);
    await a.release();
    expect(await admin.get(b.keys.lease)).toBe(bToken);
    expect(await admin.pttl(b.keys.lease)).toBeGreaterThan(9_000);
    expect(b.isLeader()).toBe(true);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBeGreaterThan(a.term);
  });

  it("does not let terms go down when the term counter was lost", async () => {
    const a = leaders.make({ name: uniqueName(), instanceId: "a", ttl: "10s" });
    for (let i = 0; i < 3; i++) {
      expect(await a.acquire()).toBe(true);
      await a.release();
    }
    expect(a.term).toBe(3);
    await admin.del(a.keys.term);
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBe(4);
    expect(await admin.get(a.keys.term)).toBe("4");
  });

  it("leaders with different names or prefixes do not compete", async () => {
    const name = uniqueName();
    const a = leaders.make({ name, instanceId: "a", ttl: "10s" });
    const b = leaders.make({ name: uniqueName(), instanceId: "b", ttl: "10s" });
    const c = leaders.make({ name, keyPrefix: `${keyPrefix}other:`, instanceId: "c", ttl: "10s" });
    expect(await Promise.all([a.acquire(), b.acquire(), c.acquire()])).toEqual([true, true, true]);
  });
});
