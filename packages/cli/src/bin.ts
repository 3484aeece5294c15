#!/usr/bin/env node
import { Messages, wantsJson } from "./messages.js";
import { run } from "./program.js";

const argv = process.argv.slice(2);
// A reader that stops early (`sched --help | head -1`) closes the pipe: what is left to print is
// dropped, quietly, rather than ending in an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
}
// A warning of Node.js or of a library (the pg driver's about `sslmode`) is a message like any
// other: one line, and with --json one JSON object, instead of Node's text of several lines that
// a script reading JSON lines could not parse.
const messages = new Messages(
  { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
  wantsJson(argv),
);
process.removeAllListeners("warning");
process.on("warning", (warning) =>
  messages.warning(warning.name === "Warning" ? warning.message : `${warning.name}: ${warning.message}`),
);
// The exit code is set, not forced: the process ends once everything the command opened is closed.
run(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    messages.error("ERROR", err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
