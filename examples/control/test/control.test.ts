import { type NodeRun, runNode } from "@sched/test-support";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);

/** The lines of stdout with their time since start (ms). */
function lines(stdout: string): { ms: number; text: string }[] {
  return stdout
    .split("\n")
    .map((line) => /^\[\+\s*(\d+) ms\] (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ ms: Number(match[1]), text: match[2] as string }));
}

describe("examples/control", () => {
  let run: NodeRun;
  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 25_000 });
  });

  it("exits with code 0 by itself", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("scheduler stopped");
  });

  it("runs one job per tenant at a time and 9 jobs in all", () => {
    const starts = lines(run.stdout).filter((line) => line.text.startsWith("start sync_tenant"));
    expect(starts).toHaveLength(9);
    for (const start of starts) expect(start.text).toMatch(/running for \w+: 1\) at \d+$/);
  });

  it("starts at most 4 sync_tenant jobs in each one-second window (aligned to the epoch)", () => {
    const perWindow = new Map<number, number>();
    for (const line of lines(run.stdout)) {
      const epochMs = /^start sync_tenant .* at (\d+)$/.exec(line.text)?.[1];
      if (epochMs === undefined) continue;
      const window = Math.floor(Number(epochMs) / 1_000);
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
    }
    expect([...perWindow.values()].reduce((a, b) => a + b, 0)).toBe(9);
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(4);
    expect(perWindow.size).toBeGreaterThanOrEqual(3);
  });

  it("sends the email only after the queue is resumed", () => {
    const all = lines(run.stdout);
    const resumed = all.find((line) => line.text.startsWith("resuming emails (1 waiting)"));
    const sent = all.find((line) => line.text === "sent email to ada@example.com");
    expect(resumed).toBeDefined();
    expect(sent).toBeDefined();
    expect(all.indexOf(sent!)).toBeGreaterThan(all.indexOf(resumed!));
  });

  it("retries a rate-limited call after its delay without using a retry", () => {
    const all = lines(run.stdout);
    const limited = all.find((line) => line.text.includes("429 Too Many Requests"));
    const ok = all.find((line) => line.text.startsWith("call_partner for partner-7: ok"));
    expect(ok?.text).toContain("attempt 2, retries used 0");
    expect(ok!.ms - limited!.ms).toBeGreaterThanOrEqual(950);
  });

  it("throttles the second reindex and debounces three into one run with the latest payload", () => {
    expect(run.stdout).toContain("throttle: second enqueue returned the first job: true");
    const runs = lines(run.stdout).filter((line) => line.text.startsWith("reindex ran once"));
    expect(runs.map((line) => line.text)).toEqual([
      'reindex ran once with payload {"v":1}',
      'reindex ran once with payload {"doc":7,"v":3}',
    ]);
  });

  it("skips report ticks while a run is not final, runs the triggered one, previews 1 s apart, pauses", () => {
    const all = lines(run.stdout);
    const ticks = all
      .map((line) => /^report run \(tick\) for (\S+)$/.exec(line.text)?.[1])
      .filter((iso): iso is string => iso !== undefined)
      .map((iso) => Date.parse(iso));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    // Runs last 1.5 s: the tick one second after a run's tick is skipped.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBeGreaterThanOrEqual(2_000);
    expect(all.filter((line) => line.text.startsWith("report run (trigger)"))).toHaveLength(1);
    const preview = /^report next runs: (.*)$/
      .exec(all.find((line) => line.text.startsWith("report next runs"))!.text)![1]!
      .split(", ")
      .map((iso) => Date.parse(iso));
    expect(preview).toHaveLength(3);
    expect([preview[1]! - preview[0]!, preview[2]! - preview[1]!]).toEqual([1_000, 1_000]);
    expect(run.stdout).toContain("report paused: true");
  });

  it("lists the queues with their state and limits", () => {
    expect(run.stdout).toMatch(
      /queue api +active, rate 4\/1000ms, group concurrency 1; completed 9, pending 0/,
    );
    expect(run.stdout).toMatch(/queue emails +active; completed 1, pending 0/);
  });
});
