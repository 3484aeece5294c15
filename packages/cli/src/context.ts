import type { Store } from "@sched/core";
import type { Command } from "commander";
import type { ModuleLoader } from "./load-module.js";
import type { Output } from "./output.js";
import { type ConnectionFlags, type Env, environmentWith, openSession, type Session } from "./session.js";

/** What every command is given: where it reads its settings and writes its output. */
export interface CommandContext {
  /** The environment (`process.env` for the binary). */
  readonly env: Env;
  readonly output: Output;
  /** The current time in ms since the epoch: for `--since 1h` and ages. */
  now(): number;
  /** Imports an optional package (`@sched/http`); a seam for tests. */
  readonly load: ModuleLoader;
  /** Ends `sched serve`; without it, SIGINT or SIGTERM does. */
  readonly signal?: AbortSignal;
  /** A store to use instead of the one the environment selects (left open). */
  readonly store?: Store;
}

/** The options every command takes. */
export interface GlobalFlags extends ConnectionFlags {
  /** Print results as JSON. */
  json?: boolean;
}

/** The global flags of a command, with its own options. */
export function flagsOf<T extends object>(command: Command): GlobalFlags & T {
  return command.optsWithGlobals() as GlobalFlags & T;
}

/** Opens a session for `command`, runs `body` with it, and closes it whatever happens. */
export async function withSession(
  context: CommandContext,
  command: Command,
  body: (session: Session, flags: GlobalFlags) => Promise<void>,
): Promise<void> {
  const flags = flagsOf(command);
  const session = await openSession(environmentWith(context.env, flags), context.output, context.store);
  try {
    await body(session, flags);
  } finally {
    await session.close();
  }
}

/** Prints `value` as JSON with `--json`, or the text `human()` renders otherwise. */
export function print(
  context: CommandContext,
  flags: GlobalFlags,
  value: unknown,
  human: () => string,
): void {
  context.output.out(flags.json ? JSON.stringify(value, null, 2) : human());
}
