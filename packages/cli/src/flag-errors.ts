import { CliError, ExitCode } from "./exit-codes.js";

/** The scheduler's names of the objects its fields belong to: `selector.queue`, `filter.queue`. */
const CONTAINERS = ["selector", "filter", "options"];

/**
 * Runs `call`, which hands the scheduler values that flags gave, and names the flag in the
 * scheduler's refusal of one of them: `queue: expected …` becomes `--queue: expected …`, as the
 * messages of the flags `sched` checks itself read. `flagOfField` maps the scheduler's field
 * (`from`) to the flag that gave it (`--since`); a field it does not list is left as it is.
 *
 * @throws CliError (usage, the scheduler's `code` kept) for a refused flag value; anything else
 *   `call` throws, unchanged.
 */
export async function namingFlags<T>(
  flagOfField: Readonly<Record<string, string>>,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const { code, field } = (err ?? {}) as { code?: unknown; field?: unknown };
    if ((code !== "INVALID_ARGUMENT" && code !== "CONFIG_INVALID") || typeof field !== "string") throw err;
    const message = (err as Error).message;
    if (!message.startsWith(`${field}: `)) throw err;
    const named = flagNamed(field, flagOfField);
    if (named === null) throw err;
    // The scheduler names its options as code spells them (`order "desc"`): say the flag instead.
    const detail = message
      .slice(field.length + 2)
      .replace(/\border "(asc|desc)"/g, (whole, order: string) =>
        Object.hasOwn(flagOfField, "order") ? `${flagOfField.order} ${order}` : whole,
      );
    throw new CliError(ExitCode.usage, code, `${named}: ${detail}`, { cause: err });
  }
}

/** `field` with its first part named as the flag that gave it (`status[1]` → `--status[1]`), or null. */
function flagNamed(field: string, flagOfField: Readonly<Record<string, string>>): string | null {
  let path = field;
  for (const container of CONTAINERS)
    if (path.startsWith(`${container}.`)) path = path.slice(container.length + 1);
  const head = /^[^.[]+/.exec(path)?.[0] ?? "";
  const flag = Object.hasOwn(flagOfField, head) ? flagOfField[head] : undefined;
  return flag === undefined ? null : `${flag}${path.slice(head.length)}`;
}
