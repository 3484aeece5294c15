import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/**
 * Marks the timed phases of a workload. Normally a no-op; with `BENCH_CPU_PROF=<dir>` each phase
 * is CPU-profiled on its own into `<dir>/<contender>.<workload>.<phase>.cpuprofile` (read them with
 * `node dist/profile-summary.js <file>` or Chrome DevTools). Call `begin` before a phase's first
 * timestamp and `end` after its last, so the profiler's own start and stop are not timed.
 */
export interface PhaseProbe {
  begin(phase: string): Promise<void>;
  end(): Promise<void>;
}

/** The probe of normal runs. */
export const noProbe: PhaseProbe = {
  async begin() {},
  async end() {},
};

/** A probe that profiles each phase into `dir`, sampling every `intervalUs` microseconds. */
export function profilingProbe(dir: string, label: string, intervalUs = 100): PhaseProbe {
  const session = new Session();
  session.connect();
  let current: string | null = null;
  return {
    async begin(phase) {
      current = phase;
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
      await session.post("Profiler.start");
    },
    async end() {
      if (current === null) return;
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(join(dir, `${label}.${current}.cpuprofile`), JSON.stringify(profile));
      current = null;
    },
  };
}
