/** How a script run by {@link runNode} ended, and what it wrote. */
export interface NodeRun {
  /** The exit code, or `null` when a signal ended the process. */
  readonly code: number | null;
  /** The signal that ended the process, if one did (SIGKILL after the time limit). */
  readonly signal: NodeJS.Signals | null;
  /** Everything written to standard output. */
  readonly stdout: string;
  /** Everything written to standard error. */
  readonly stderr: string;
  /** From the spawn to the exit, in ms. */
  readonly durationMs: number;
}

/** Options of {@link runNode}. */
export interface RunNodeOptions {
  /** Variables added to the environment of this process. */
  env?: Record<string, string>;
  /** Arguments after the script. */
  args?: readonly string[];
  /** Killed (SIGKILL) after this many ms; default 30,000. */
  timeoutMs?: number;
}

/**
 * Runs `script` (a path or `file:` URL) with this process's Node.js binary in a child process,
 * as a user would run it, and resolves once it has exited and both output streams have ended.
 * Rejects only if the process cannot be spawned.
 */
export function runNode(script: string | URL, options?: RunNodeOptions): Promise<NodeRun>;
