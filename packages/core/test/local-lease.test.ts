import { describe, expect, it } from "vitest";
import { LocalLease } from "../src/leadership/local-lease.js";

describe("LocalLease", () => {
  it("leads from gain until its deadline, then steps down and tells listeners once", () => {
    let now = 0;
    const lease = new LocalLease(() => now);
    const events: string[] = [];
    lease.onLeaderChange((leads, term) => events.push(`${leads}:${term}`));
    expect(lease.isLeader()).toBe(false);
    lease.gain(3, 100);
    expect([lease.isLeader(), lease.term]).toEqual([true, 3]);
    now = 100;
    expect(lease.isLeader()).toBe(false);
    expect(lease.isLeader()).toBe(false);
    expect(events).toEqual(["true:3", "false:3"]);
  });

  it("renew extends only a leadership still held", () => {
    let now = 0;
    const lease = new LocalLease(() => now);
    expect(lease.renew(50)).toBe(false);
    lease.gain(1, 10);
    expect(lease.renew(50)).toBe(true);
    now = 20;
    expect(lease.isLeader()).toBe(true);
    lease.stepDown();
    expect(lease.renew(100)).toBe(false);
    expect(lease.isLeader()).toBe(false);
  });

  it("a new term ends the previous leadership first; throwing listeners change nothing; unsubscribe works", () => {
    const lease = new LocalLease(() => 0);
    const events: string[] = [];
    lease.onLeaderChange(() => {
      throw new Error("listener broke");
    });
    const off = lease.onLeaderChange((leads, term) => events.push(`${leads}:${term}`));
    lease.gain(1, 10);
    lease.gain(2, 10);
    off();
    lease.stepDown();
    expect(events).toEqual(["true:1", "false:1", "true:2"]);
    lease.clearListeners();
    lease.gain(3, 10);
    expect(lease.term).toBe(3);
  });
});
