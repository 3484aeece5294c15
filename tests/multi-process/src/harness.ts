import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runNode } from "@sched/test-support";

const INSTANCE = fileURLToPath(new URL("./instance.mjs", import.meta.url));

/** A scheduler instance running in a child process. */
export interface Instance {
  readonly id: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
  /** The lines the instance logged so far. */
  lines(): string[];
}

/** A folder for one test's instance logs. */
export function logDir(): string {
  return mkdtempSync(join(tmpdir(), "sched-mp-"));
}

/** Starts an instance with `env` added to the environment; its log goes to `dir/<id>.log`. */
export function startInstance(dir: string, id: string, env: Record<string, string>): Instance {
  const logFile = join(dir, `${id}.log`);
  const child = spawn(process.execPath, [INSTANCE], {
    env: { ...process.env, ...env, MP_INSTANCE: id, MP_LOG: logFile },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  return {
    id,
    logFile,
    child,
    exited,
    lines: () => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").filter(Boolean) : []),
  };
}

/** How a script run by {@link runScript} ended, and what it wrote. */
export interface ScriptRun {
  /** The exit code, or the signal that ended the process. */
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `script` (a file in this folder) in a child `node` process with `env` added to the
 * environment, and resolves once it has exited by itself; after `ms` it is killed (SIGKILL) and
 * the run ends with that signal.
 */
export async function runScript(
  script: string,
  env: Record<string, string>,
  ms = 30_000,
): Promise<ScriptRun> {
  const run = await runNode(new URL(script, import.meta.url), { env, timeoutMs: ms });
  return { code: run.code ?? run.signal ?? "unknown", stdout: run.stdout, stderr: run.stderr };
}

/** Waits until `condition` holds, checking every 100 ms; fails after `ms`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops an instance gracefully (SIGTERM) and waits for it to exit by itself. */
export async function stopInstance(instance: Instance, ms = 15_000): Promise<number | string> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return instance.exited;
  instance.child.kill("SIGTERM");
  const timer = setTimeout(() => instance.child.kill("SIGKILL"), ms);
  const code = await instance.exited;
  clearTimeout(timer);
  return code;
}

/** Kills an instance at once (SIGKILL), as a crash would. */
export async function killInstance(instance: Instance): Promise<void> {
  instance.child.kill("SIGKILL");
  await instance.exited;
}

/** Whether an instance currently leads, by the last "leader" line it logged. */
export function leads(instance: Instance): boolean {
  const last = instance
    .lines()
    .filter((l) => l.startsWith("leader "))
    .pop();
  return last?.startsWith("leader true") ?? false;
}
