#!/usr/bin/env node
import { wantsJson } from "./messages.js";
import { run } from "./program.js";

const argv = process.argv.slice(2);
// The exit code is set, not forced: the process ends once everything the command opened is closed.
run(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      wantsJson(argv) ? `${JSON.stringify({ error: { code: "ERROR", message } })}\n` : `sched: ${message}\n`,
    );
    process.exitCode = 1;
  },
);
