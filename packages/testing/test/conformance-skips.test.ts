import { describe, expect, it } from "vitest";
import { skipReason } from "../src/conformance-skips.js";

describe("skipReason", () => {
  it("matches a test by text its full name contains or by a pattern, first match first", () => {
    const skips = [
      { test: "unique keys > of 20 concurrent", reason: "no unique index" },
      { test: /transactions > .* rolls back/, reason: "no transactions" },
    ];
    expect(skipReason(skips, "X store conformance > unique keys > of 20 concurrent enqueues")).toBe(
      "no unique index",
    );
    expect(
      skipReason(skips, "X store conformance > transactions > jobs created in a transaction that rolls back"),
    ).toBe("no transactions");
    expect(
      skipReason(skips, "X store conformance > claimDueJobs > claims at most limit jobs"),
    ).toBeUndefined();
    expect(skipReason([], "anything")).toBeUndefined();
  });
});
