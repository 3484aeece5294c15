import type { Resource } from "../use-resource.js";

/** "Loading…" before the first answer, the error when the last load failed. */
export function LoadState({ resource }: { resource: Resource<unknown> }) {
  if (resource.error !== undefined) {
    return (
      <p class="load-error" data-testid="load-error">
        {resource.error.message}
      </p>
    );
  }
  if (resource.data === undefined) return <p class="muted">Loading…</p>;
  return null;
}
