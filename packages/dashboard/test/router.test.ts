import { describe, expect, it } from "vitest";
import { href, parseRoute } from "../src/ui/router.js";

describe("hash routes", () => {
  it("a hash with no page links back to itself, without a doubled slash", () => {
    for (const hash of ["#/bogus", "#bogus", "#/queues/a/b", "#//twice"]) {
      const route = parseRoute(hash);
      expect(route.page, hash).toBe("not-found");
      expect(href(route), hash).toBe(hash);
    }
    expect(parseRoute("#/bogus?status=dead")).toEqual({ page: "not-found", path: "/bogus" });
  });

  it("every page's link reads back as the same page", () => {
    for (const hash of [
      "#/",
      "#/queues/emails?status=dead",
      "#/jobs/j%2F1",
      "#/schedules",
      "#/dead",
      "#/dead?queue=q",
    ]) {
      expect(href(parseRoute(hash)), hash).toBe(hash);
    }
  });
});
