import { StoreError } from "@sched/core/adapter";
import { redact, type ServerDescription, sanitizedError } from "./connection/index.js";

/**
 * Whether the server refused a command for the user's ACL rights: `NOPERM` for a command or its
 * keys, and "The user executing the script can't …" for a command, key or channel inside a script.
 */
export function isPermissionError(err: unknown): boolean {
  return err instanceof Error && /\bNOPERM\b|user executing the script can't/.test(err.message);
}

/**
 * The error of a store whose Redis user may not do what the store needs: run its scripts, read
 * and write the keys of its prefix, or publish on its channel. Names the prefix, the server's
 * reason and the rights to grant; never a password.
 */
export function accessError(err: unknown, prefix: string, target: ServerDescription): StoreError {
  const reason = redact(err instanceof Error ? err.message : String(err), target.secrets);
  return new StoreError(
    `the Redis user of the RedisStore with keyPrefix "${prefix}" at ${target.address} lacks permissions it needs: ${reason}. ` +
      `Grant it the keys ~${prefix}* and the channels &${prefix}*, and the commands listed under "ACL" in the @sched/store-redis README`,
    { cause: sanitizedError(err, target.secrets) },
  );
}
