// How times, durations and values are shown.

/** `2026-05-01 14:03:09` in the browser's time zone, or `—` for none. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** `3m ago` or `in 2h` relative to `now` (epoch ms), or an empty string for none. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return "";
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return "";
  const text = formatDuration(Math.abs(ms));
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * A setting's duration in ms, exactly, as the shortest duration string that reads back as the
 * same number (`@sched/core`'s `formatDuration`): `450ms`, `1.5s`, `1m30s`, `59m59.999s`,
 * `1h30m`, `1d1h`. A rate limit's window or a timeout shown rounded would be another setting.
 */
export function formatExactDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return "0ms";
  let rest = ms;
  let text = "";
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (unit === "s" && count > 0 && rest > 0 && Number.isInteger(rest)) {
      return `${text}${count}.${String(rest).padStart(3, "0").replace(/0+$/, "")}s`;
    }
    if (count > 0) text += `${count}${unit}`;
  }
  return rest > 0 ? `${text}${rest}ms` : text;
}

/** The units of {@link formatExactDuration}, from the largest down, with their ms. */
const UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
] as const;

/** An age or a span in ms, rounded to one unit: `450ms`, `12s`, `5m`, `3h`, `2d`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

/**
 * The characters that reorder the text after them (Unicode UAX #9: U+061C, U+200E, U+200F,
 * U+202A to U+202E, U+2066 to U+2069), or that render as nothing (U+200B to U+200D, U+2060,
 * U+FEFF).
 */
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

/**
 * Job data as shown: each character that would reorder the text after it or render as nothing is
 * written as `⟨U+202E⟩`, so that `invoice\u202Egnp.exe` reads as written, not as `invoiceexe.png`.
 */
export function shown(text: string): string {
  return text.replace(INVISIBLE, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`);
}

/** A JSON value, indented, shown as {@link shown} says. */
export function formatJson(value: unknown): string {
  return shown(JSON.stringify(value, null, 2) ?? "undefined");
}
