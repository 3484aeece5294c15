/**
 * Keeping secrets (the password, the connection string) out of every error the package throws or
 * logs, the causes it keeps included.
 */

/** `text` with every one of `secrets` (longest first) replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join("***");
  return result;
}

/** How deep {@link redactError} follows causes and nested values. */
const MAX_DEPTH = 8;

/**
 * `err` itself when no text in it holds a secret (its message, stack, `cause` chain, the errors of
 * an `AggregateError`, and its enumerable properties, nested ones included); otherwise a copy of
 * the same class, name and fields with every secret replaced by `***`. Driver errors do not hold
 * the password today (`pg` keeps it out of them); this keeps it so if one ever does, e.g. an
 * error that quotes the connection string it could not parse.
 */
export function redactError(err: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !holdsSecret(err, secrets, 0, new Set())) return err;
  return redactValue(err, secrets, 0, new Map());
}

function holdsSecret(value: unknown, secrets: readonly string[], depth: number, seen: Set<unknown>): boolean {
  if (typeof value === "string") return secrets.some((secret) => value.includes(secret));
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH || seen.has(value)) return false;
  seen.add(value);
  const fields: unknown[] = Object.values(value);
  if (value instanceof Error) fields.push(value.message, value.stack, value.cause);
  if (value instanceof AggregateError) fields.push(...value.errors);
  return fields.some((field) => holdsSecret(field, secrets, depth + 1, seen));
}

function redactValue(
  value: unknown,
  secrets: readonly string[],
  depth: number,
  copies: Map<unknown, unknown>,
): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (copies.has(value)) return copies.get(value);
  if (!(value instanceof Error)) {
    const copy: Record<string, unknown> = Array.isArray(value)
      ? ([] as unknown as Record<string, unknown>)
      : {};
    copies.set(value, copy);
    for (const [key, field] of Object.entries(value))
      copy[key] = redactValue(field, secrets, depth + 1, copies);
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(value)) as Error;
  copies.set(value, copy);
  const own = (key: string, field: unknown): void => {
    Object.defineProperty(copy, key, { value: field, writable: true, configurable: true });
  };
  own("message", redact(value.message, secrets));
  own("stack", value.stack === undefined ? undefined : redact(value.stack, secrets));
  if ("cause" in value) own("cause", redactValue(value.cause, secrets, depth + 1, copies));
  if (value instanceof AggregateError) {
    own(
      "errors",
      value.errors.map((inner) => redactValue(inner, secrets, depth + 1, copies)),
    );
  }
  for (const [key, field] of Object.entries(value)) {
    (copy as unknown as Record<string, unknown>)[key] = redactValue(field, secrets, depth + 1, copies);
  }
  return copy;
}
