/**
 * Options objects that throw when they are read, for testing that a constructor or call turns a
 * caller's broken input into its own typed error (`ConfigError` or `InvalidArgumentError`) instead
 * of letting the caller's error out: `base` with one more enumerable property (`unreadable`) whose
 * getter throws, and a proxy of `base` whose every trap throws. Each throws a plain `Error` whose
 * message, `"secret-in-a-getter"`, must not appear in the error reported.
 *
 * @param base - The options the test would otherwise pass (copied, not changed).
 * @returns Two `[label, options]` pairs, typed as `base`.
 * @example
 * for (const [label, options] of unreadableOptions({ url })) {
 *   expect(() => new MyStore(options), label).toThrow(ConfigError);
 * }
 */
export function unreadableOptions<T extends object>(base: T): Array<[label: string, options: T]> {
  const fail = (): never => {
    throw new Error(UNREADABLE_MESSAGE);
  };
  const getter = { ...base };
  Object.defineProperty(getter, "unreadable", { enumerable: true, get: fail });
  const proxy = new Proxy(
    { ...base },
    { ownKeys: fail, get: fail, has: fail, getOwnPropertyDescriptor: fail, getPrototypeOf: fail },
  );
  return [
    ["a getter that throws", getter],
    ["a proxy whose traps throw", proxy],
  ];
}

/** The message of the errors {@link unreadableOptions} throws. */
export const UNREADABLE_MESSAGE = "secret-in-a-getter";

/**
 * Calls `make` with each of the {@link unreadableOptions} of `base` and returns what it threw,
 * as `[label, error]` pairs, for the test to check the class and code (`ConfigError`,
 * `InvalidArgumentError`). `make` may return a promise; its rejection counts as thrown.
 *
 * @throws Error (a plain one, failing the test) when `make` did not throw, threw the caller's
 *   own error, or repeated its message ({@link UNREADABLE_MESSAGE}) in what it threw.
 * @example
 * for (const [label, err] of await unreadableRefusals((o) => new MyStore(o), { url })) {
 *   expect(err, label).toBeInstanceOf(ConfigError);
 * }
 */
export async function unreadableRefusals<T extends object>(
  make: (options: T) => unknown,
  base: T,
): Promise<Array<[label: string, error: unknown]>> {
  const refusals: Array<[string, unknown]> = [];
  for (const [label, options] of unreadableOptions(base)) {
    let thrown: unknown;
    let threw = false;
    try {
      await make(options);
    } catch (err) {
      thrown = err;
      threw = true;
    }
    if (!threw) throw new Error(`${label}: the options were accepted`);
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    if (message.includes(UNREADABLE_MESSAGE)) {
      throw new Error(`${label}: the caller's error came out, or its message was repeated: ${message}`);
    }
    refusals.push([label, thrown]);
  }
  return refusals;
}
