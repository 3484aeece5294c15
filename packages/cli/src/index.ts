/**
 * `@sched/cli`: the `sched` command, and `run` to call it from code (a test, a script).
 *
 * @packageDocumentation
 */
export { CliError, ExitCode, type ExitCodeValue } from "./exit-codes.js";
export { createProgram, type RunOptions, run, VERSION } from "./program.js";
