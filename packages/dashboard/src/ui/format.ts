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

/** A JSON value, indented. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "undefined";
}
