/** Line and paragraph separators and bidirectional controls, which `JSON.stringify` keeps as they are. */
const UNSAFE_IN_A_LINE = /[\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` quoted as a JSON string for an error message or a log line, cut to `max` UTF-16 code
 * units and `…`: control characters, line and paragraph separators and bidirectional controls are
 * escaped (`\n`, `\u2028`, `\u202e`), so a name or key taken from input can neither break the line
 * it is printed in nor reorder it, nor flood it.
 */
export function quoteText(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut).replace(
    UNSAFE_IN_A_LINE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A key that can be printed as written after a dot (`job.metadata.tenant`). */
const PLAIN_KEY = /^[A-Za-z_$][\w$]{0,63}$/;

/**
 * The path of the key `key` under `base` for an error: `base.key` for an identifier of at most 64
 * characters, else the key quoted by {@link quoteText} in brackets (`job.metadata["a.b"]`,
 * `payload[""]`), so that a key taken from input can neither break the line nor pass for a path.
 */
export function keyPath(base: string, key: string): string {
  return PLAIN_KEY.test(key) ? `${base}.${key}` : `${base}[${quoteText(key, 64)}]`;
}
