#!/usr/bin/env node
import { run } from "./program.js";

// The exit code is set, not forced: the process ends once everything the command opened is closed.
run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sched: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
