/**
 * Prints where the time of a `.cpuprofile` went: self and total time per function, as a share of
 * the profiled (non-idle) time.
 *
 *   node dist/profile-summary.js results/profiles/sched-memory.throughput.process.cpuprofile [top=25]
 */
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { basename, dirname, resolve } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const sourceMaps = new Map<string, SourceMap | null>();

/** The source map next to a bundled file (`dist/index.js.map`), if there is one. */
function sourceMapOf(path: string): SourceMap | null {
  let map = sourceMaps.get(path);
  if (map === undefined) {
    map = existsSync(`${path}.map`) ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8"))) : null;
    sourceMaps.set(path, map);
  }
  return map;
}

/** Where a frame lives, shortened: `pkg/src/file.ts:line` through source maps, else `pkg/file.js:line`. */
function location(frame: CallFrame): string {
  if (!frame.url) return "";
  let path = frame.url.replace(/^file:\/\//, "");
  let line = frame.lineNumber + 1;
  const map = path.startsWith("/") ? sourceMapOf(path) : null;
  // `findEntry` returns `{}` where the map has no mapping.
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
    | { originalSource?: string; originalLine: number }
    | undefined;
  if (entry?.originalSource) {
    path = resolve(dirname(path), entry.originalSource.replace(/^file:\/\//, ""));
    line = entry.originalLine + 1;
  }
  path = path.replace(/^.*\/packages\/([^/]+)\//, "@sched/$1/");
  const inPkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  const short = path.startsWith("@sched/")
    ? path
    : inPkg
      ? `${inPkg[1]}/${inPkg[2]}`
      : path.split("/").slice(-2).join("/");
  return `${short}:${line}`;
}

function label(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  const where = location(frame);
  return where ? `${name}  ${where}` : name;
}

/** Self and total microseconds per function label. */
export function summarizeProfile(profile: CpuProfile): {
  wallUs: number;
  busyUs: number;
  rows: { label: string; selfUs: number; totalUs: number }[];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    // A sample's delta is the time until the next sample: attribute it to this sample.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    const leaf = label(node.callFrame);
    if (node.callFrame.functionName !== "(idle)") busyUs += dt;
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    const onStack = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || n.callFrame.functionName === "(root)") continue;
      onStack.add(label(n.callFrame));
    }
    for (const l of onStack) total.set(l, (total.get(l) ?? 0) + dt);
  });
  const rows = [...new Set([...self.keys(), ...total.keys()])]
    .filter((l) => l !== "(idle)")
    .map((l) => ({ label: l, selfUs: self.get(l) ?? 0, totalUs: total.get(l) ?? 0 }));
  return { wallUs: profile.endTime - profile.startTime, busyUs, rows };
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node dist/profile-summary.js <file.cpuprofile> [top]");
    process.exitCode = 2;
    return;
  }
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const { wallUs, busyUs, rows } = summarizeProfile(profile);
  const pct = (us: number): string => `${((100 * us) / Math.max(1, busyUs)).toFixed(1).padStart(5)}%`;
  console.log(
    `${basename(file)}: ${(wallUs / 1000).toFixed(0)} ms profiled, ${(busyUs / 1000).toFixed(0)} ms not idle`,
  );
  console.log("\nself time (% of non-idle):");
  for (const r of [...rows].sort((a, b) => b.selfUs - a.selfUs).slice(0, top)) {
    console.log(`  ${pct(r.selfUs)}  ${r.label}`);
  }
  console.log("\ntotal time, callees included (% of non-idle):");
  for (const r of [...rows].sort((a, b) => b.totalUs - a.totalUs).slice(0, top)) {
    console.log(`  ${pct(r.totalUs)}  ${r.label}`);
  }
}

main();
