#!/usr/bin/env node
import { wantsJson } from "./messages.js";
import { messageLine } from "./output.js";
import { run } from "./program.js";

const argv = process.argv.slice(2);
// A reader that stops early (`sched --help | head -1`) closes the pipe: what is left to print is
// dropped, quietly, rather than ending in an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
}
// The exit code is set, not forced: the process ends once everything the command opened is closed.
run(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = messageLine(err instanceof Error ? err.message : String(err));
    process.stderr.write(
      wantsJson(argv) ? `${JSON.stringify({ error: { code: "ERROR", message } })}\n` : `sched: ${message}\n`,
    );
    process.exitCode = 1;
  },
);
