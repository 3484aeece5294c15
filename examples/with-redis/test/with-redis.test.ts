import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../src/main.mjs", import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs the example as a user would, in its own Node.js process, and collects its output. */
function runExample(): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [SCRIPT], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

describe("examples/with-redis", () => {
  let run: Outcome;
  beforeAll(async () => {
    run = await runExample();
  });

  it("exits with code 0 by itself within 20 seconds", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.durationMs).toBeLessThan(20_000);
    expect(run.stdout).toContain("the process exits on its own");
  });

  it("shows the bulk enqueue, the refused unique job, the retry, the wake-up, the cron tick and cleanup", () => {
    expect(run.stdout).toContain("100 bulk-enqueued jobs ran");
    expect(run.stdout).toMatch(/uniqueKey "nightly-resize" was refused \(JOB_ALREADY_EXISTS\)/);
    expect(run.stdout).toContain("flaky job succeeded on attempt 2");
    expect(run.stdout).toContain("started through a wake-up");
    expect(run.stdout).toMatch(/cron tick for \d{4}-/);
    expect(run.stdout).toMatch(/cleanup removed \d+ finished jobs/);
  });
});
