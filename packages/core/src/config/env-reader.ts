import { ConfigError } from "../errors.js";
import { type Duration, parseDuration } from "../time/duration.js";
import { describeValue, isPlainWord } from "../validation/text.js";

/** An environment: `process.env` or any record of variable names to values. */
export type Env = Record<string, string | undefined>;

/**
 * Reads and checks `SCHEDULER_*` variables, one value at a time. A value is trimmed, and an unset
 * or empty one reads as `undefined`, so that the default applies. A value that does not parse is
 * a {@link ConfigError} naming the variable; the value of a secret variable (a URL, a password) is
 * never echoed in it.
 */
export class EnvReader {
  constructor(
    private readonly env: Env,
    /** Whether the value of a variable may hold a password and must never appear in a message. */
    private readonly isSecret: (name: string) => boolean = () => false,
  ) {}

  /**
   * The trimmed value of `name`, or `undefined` when it is unset or empty.
   *
   * @throws ConfigError (`CONFIG_INVALID`, `field` = `name`) when the value is not a string (an
   *   environment given as an object holds strings only).
   */
  text(name: string): string | undefined {
    const value: unknown = this.env[name];
    if (value === undefined) return undefined;
    if (typeof value !== "string") {
      throw new ConfigError(
        name,
        `expected a string, as environment variables are, got ${describeValue(value)}`,
      );
    }
    const trimmed = value.trim();
    return trimmed === "" ? undefined : trimmed;
  }

  /**
   * The value of `name` when it matches `pattern`.
   *
   * @throws ConfigError (`CONFIG_INVALID`, `field` = `name`) saying `expected` otherwise.
   */
  matching(name: string, pattern: RegExp, expected: string): string | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    if (!pattern.test(v)) throw new ConfigError(name, `expected ${expected}, got ${this.show(name, v)}`);
    return v;
  }

  /**
   * The value of `name` as an integer of at least `min`.
   *
   * @throws ConfigError (`CONFIG_INVALID`, `field` = `name`) for anything else.
   */
  integer(name: string, min: number): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min) {
      throw new ConfigError(name, `expected an integer >= ${min}, got ${this.show(name, v)}`);
    }
    return Number(v);
  }

  /**
   * The value of `name` as a finite number of at least `min`.
   *
   * @throws ConfigError (`CONFIG_INVALID`, `field` = `name`) for anything else.
   */
  number(name: string, min: number): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) {
      throw new ConfigError(name, `expected a number >= ${min}, got ${this.show(name, v)}`);
    }
    return n;
  }

  /**
   * The value of `name` as a boolean: `true`, `1`, `yes`, `on` or `false`, `0`, `no`, `off`, in
   * any case.
   *
   * @throws ConfigError (`CONFIG_INVALID`, `field` = `name`) for anything else.
   */
  boolean(name: string): boolean | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const lower = v.toLowerCase();
    if (["true", "1", "yes", "on"].includes(lower)) return true;
    if (["false", "0", "no", "off"].includes(lower)) return false;
    throw new ConfigError(name, `expected true or false, got ${this.show(name, v)}`);
  }

  /**
   * The value of `name` as a duration in milliseconds. The unit is required (`"500ms"`, `"30s"`,
   * `"5m"`, `"1h30m"`, `"7d"`); a bare `0` is allowed.
   *
   * @param options.positive - refuse zero.
   * @throws ConfigError (`CONFIG_INVALID`, `field` = `name`) for a number without a unit, a value
   *   that does not parse, or zero when `positive`.
   */
  duration(name: string, options: { positive?: boolean } = {}): Duration | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    // A bare number is milliseconds to createScheduler, but people write SCHEDULER_LOCK_TTL=30
    // meaning seconds; in the environment the unit is required. Zero is zero in every unit.
    if (/^\d+(\.\d+)?$/.test(v) && Number(v) !== 0) {
      throw new ConfigError(
        name,
        `${JSON.stringify(v)} has no unit; write "${v}s" for seconds or "${v}ms" for milliseconds (or m, h, d)`,
      );
    }
    let ms: number;
    try {
      ms = parseDuration(v, name);
    } catch {
      throw new ConfigError(
        name,
        `expected a duration such as "500ms", "30s", "5m", "1h30m", got ${this.show(name, v)}`,
      );
    }
    if (options.positive && ms <= 0) {
      throw new ConfigError(name, `expected a positive duration, got ${this.show(name, v)}`);
    }
    return ms;
  }

  /**
   * The value of `name` as a URL whose scheme is one of `protocols` (`"postgres:"`, say). The URL
   * is returned as written; it is never echoed in an error, since it may hold a password.
   *
   * @throws ConfigError (`CONFIG_INVALID`, `field` = `name`) for a value that does not parse as a
   *   URL, or another scheme.
   */
  url(name: string, protocols: readonly string[]): string | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(v);
    } catch {
      throw new ConfigError(
        name,
        `expected a URL such as ${protocols[0]}//host:port, and the given value does not parse`,
      );
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(
        name,
        `expected a URL starting with ${protocols.join(" or ")}, got one starting with ${parsed.protocol}`,
      );
    }
    return v;
  }

  private show(name: string, value: string): string {
    // A value may hold a password even in the wrong variable: only digits are ever echoed.
    if (this.isSecret(name)) return "the given value";
    return isPlainWord(value) ? JSON.stringify(value) : `a value of ${value.length} characters`;
  }
}
