import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { NodeBinary } from "./node-binary.js";
import { type ChildReport, RESULT_MARKER, type RunResult } from "./protocol.js";

const CHILD_SCRIPT = fileURLToPath(new URL("./child.js", import.meta.url));

/**
 * Runs `workload` for `contender` in a fresh Node.js process on `node`, so that contenders never
 * share a heap, a JIT profile or leftover timers. The child's own output goes to our stderr,
 * prefixed; its result line is parsed. A child that exceeds `timeoutMs` is killed. `env` is
 * added to this process's environment for the child.
 */
export function runChild(
  node: NodeBinary,
  contender: string,
  workload: string,
  run: number,
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<RunResult> {
  const started = performance.now();
  const child = spawn(node.path, ["--expose-gc", CHILD_SCRIPT, contender, workload], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const prefix = `[${contender} ${workload}#${run}] `;
  let report: ChildReport | null = null;
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.startsWith(RESULT_MARKER)) report = JSON.parse(line.slice(RESULT_MARKER.length)) as ChildReport;
    else process.stderr.write(`${prefix}${line}\n`);
  });
  createInterface({ input: child.stderr }).on("line", (line) => process.stderr.write(`${prefix}${line}\n`));

  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const base = { contender, workload, run, wallMs };
      const r = report as ChildReport | null;
      if (r?.ok) {
        resolve({ ...base, ok: true, metrics: r.metrics, error: null, node: r.node, rssMiB: r.rssMiB });
        return;
      }
      const error = r
        ? r.error
        : timedOut
          ? `killed after ${timeoutMs} ms (BENCH_CHILD_TIMEOUT_MS)`
          : `the child exited (code ${code}, signal ${sig}) without a result`;
      resolve({ ...base, ok: false, metrics: null, error, node: r?.node ?? null, rssMiB: null });
    });
  });
}
