import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runNode } from "../src/index.mjs";

const dir = mkdtempSync(join(tmpdir(), "sched-run-node-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

describe("runNode", () => {
  it("collects both streams, the exit code, arguments and added environment variables", async () => {
    const path = script(
      "echo.mjs",
      `console.log(process.argv.slice(2).join(","), process.env.RUN_NODE_TEST);
       console.error("to stderr");
       process.exitCode = 3;`,
    );
    const run = await runNode(pathToFileURL(path), { args: ["a", "b"], env: { RUN_NODE_TEST: "yes" } });
    expect(run).toMatchObject({ code: 3, signal: null, stdout: "a,b yes\n", stderr: "to stderr\n" });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("kills a script that outlives its time limit", async () => {
    const run = await runNode(script("hang.mjs", "setInterval(() => {}, 1000);"), { timeoutMs: 200 });
    expect(run.code).toBeNull();
    expect(run.signal).toBe("SIGKILL");
  });

  it("reports a missing script as a failed run", async () => {
    const run = await runNode(join(dir, "missing.mjs"));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Cannot find module");
  });
});
