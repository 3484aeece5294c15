/**
 * Runs one workload for one contender and reports the figures on stdout (one marked JSON line).
 * Started by the orchestrator in a fresh process: `node --expose-gc dist/child.js <contender> <workload>`.
 */
import { workloadConfigFromEnv } from "./config.js";
import { CONTENDERS } from "./contenders/index.js";
import { groupOf } from "./groups.js";
import { GROWTH_WORKLOADS } from "./growth/workloads.js";
import { noProbe, profilingProbe } from "./probe.js";
import { type ChildReport, RESULT_MARKER } from "./protocol.js";
import { WORKLOADS } from "./workloads/index.js";

async function runOne(contenderName: string, workloadName: string): Promise<ChildReport> {
  const entry = CONTENDERS[contenderName];
  const workload = WORKLOADS[workloadName] ?? GROWTH_WORKLOADS[workloadName];
  if (!entry) throw new Error(`unknown contender ${JSON.stringify(contenderName)}`);
  if (!workload) throw new Error(`unknown workload ${JSON.stringify(workloadName)}`);
  const contender = await entry.create();
  const profileDir = process.env.BENCH_CPU_PROF;
  const probe = profileDir ? profilingProbe(profileDir, `${contenderName}.${workloadName}`) : noProbe;
  const sizes = workloadConfigFromEnv(process.env, groupOf(contenderName));
  const metrics = await workload.run(contender, sizes, probe);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  return { ok: true, metrics, node: process.version, rssMiB };
}

function report(result: ChildReport): void {
  // The orchestrator reads this line; exiting explicitly means a handle a contender leaked
  // cannot hang the run (its teardown is still awaited first).
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`, () => process.exit(result.ok ? 0 : 1));
}

const [contenderName = "", workloadName = ""] = process.argv.slice(2);
runOne(contenderName, workloadName).then(report, (err: unknown) => {
  const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  report({ ok: false, error, node: process.version });
});
