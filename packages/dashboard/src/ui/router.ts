// Hash routes (`#/queues/emails?status=dead`), so the server serves one page at any base path.
import { useEffect, useState } from "preact/hooks";
import { type JobStatus, STATUSES } from "./wire.js";

/** A page and its arguments. */
export type Route =
  | { page: "overview" }
  | { page: "queue"; name: string; status: JobStatus }
  | { page: "job"; id: string }
  | { page: "schedules" }
  | { page: "dead"; queue: string | null }
  | {
      page: "not-found";
      /** The hash's path as written, after `#` and before any `?` (`"/bogus"` for `#/bogus`). */
      path: string;
    };

/** The route of a location hash such as `#/queues/emails?status=dead`. */
export function parseRoute(hash: string): Route {
  const [rawPath = "", rawQuery = ""] = hash.replace(/^#/, "").split("?", 2);
  const query = new URLSearchParams(rawQuery);
  const parts = rawPath
    .split("/")
    .filter((part) => part !== "")
    .map((part) => safeDecode(part));
  if (parts.length === 0) return { page: "overview" };
  if (parts[0] === "queues" && parts.length === 2) {
    const status = query.get("status");
    return {
      page: "queue",
      name: parts[1]!,
      status: STATUSES.includes(status as JobStatus) ? (status as JobStatus) : "pending",
    };
  }
  if (parts[0] === "jobs" && parts.length === 2) return { page: "job", id: parts[1]! };
  if (parts[0] === "schedules" && parts.length === 1) return { page: "schedules" };
  if (parts[0] === "dead" && parts.length === 1) return { page: "dead", queue: query.get("queue") || null };
  return { page: "not-found", path: rawPath };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The hash of a route, for links. */
export function href(route: Route): string {
  switch (route.page) {
    case "overview":
      return "#/";
    case "queue":
      return `#/queues/${encodeURIComponent(route.name)}?status=${route.status}`;
    case "job":
      return `#/jobs/${encodeURIComponent(route.id)}`;
    case "schedules":
      return "#/schedules";
    case "dead":
      return route.queue === null ? "#/dead" : `#/dead?queue=${encodeURIComponent(route.queue)}`;
    case "not-found":
      // The path keeps its own leading slash (or its lack of one): `#/bogus` links to itself.
      return `#${route.path}`;
  }
}

/** The current route, updated on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
