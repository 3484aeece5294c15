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

/** A duration in ms as `450ms`, `12s`, `5m`, `3h`, `2d`. */
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
