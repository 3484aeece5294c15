import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** @type {import("./index.d.ts").runNode} */
export function runNode(script, options = {}) {
  const path = script instanceof URL || script.startsWith("file:") ? fileURLToPath(script) : script;
  const started = Date.now();
  const child = spawn(process.execPath, [path, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // "close" comes after both pipes have ended, so all the output has been read.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}
