/** A date as `2026-01-02T03:04:05Z` (UTC, whole seconds), or `-` for none. */
export function formatTime(date: Date | null | undefined): string {
  if (date === null || date === undefined) return "-";
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A span of milliseconds as a short text: `850ms`, `12s`, `4m10s`, `3h5m`, `2d4h`. */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? "-" : "";
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  const s = Math.round(abs / 1000);
  if (s < 60) return `${sign}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m}m${s % 60 ? `${s % 60}s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${sign}${h}h${m % 60 ? `${m % 60}m` : ""}`;
  const d = Math.floor(h / 24);
  return `${sign}${d}d${h % 24 ? `${h % 24}h` : ""}`;
}

/** How long before `now` the date was: `12s ago`, or `in 5m` for a date ahead of `now`. */
export function formatAge(date: Date | null | undefined, now: number): string {
  if (date === null || date === undefined) return "-";
  const ms = now - date.getTime();
  return ms >= 0 ? `${formatSpan(ms)} ago` : `in ${formatSpan(-ms)}`;
}

/** The most names a not-found message lists. */
const LISTED_NAMES = 20;

/**
 * The part of a not-found message that lists the names there are, for a typo: `known <what>: a, b`
 * (the first 20 of `sorted`, then `, and N more (<listCommand>)`), or `none` when there are none.
 */
export function knownNames(
  sorted: readonly string[],
  what: string,
  listCommand: string,
  none: string,
): string {
  if (sorted.length === 0) return none;
  const more =
    sorted.length > LISTED_NAMES ? `, and ${sorted.length - LISTED_NAMES} more (${listCommand})` : "";
  return `known ${what}: ${sorted.slice(0, LISTED_NAMES).join(", ")}${more}`;
}
