import { describe, expect, it } from "vitest";
import { formatExactDuration, formatJson, shown } from "../src/ui/format.js";

describe("job data as the dashboard shows it", () => {
  it("writes out the characters that would reorder or hide text", () => {
    expect(shown("invoice\u202egnp.exe")).toBe("invoice⟨U+202E⟩gnp.exe");
    expect(shown("a\u200bb\u2066c\u2069\ufeff")).toBe("a⟨U+200B⟩b⟨U+2066⟩c⟨U+2069⟩⟨U+FEFF⟩");
    expect(shown("plain ascii, émoji 😀, עברית")).toBe("plain ascii, émoji 😀, עברית");
    expect(formatJson({ file: "x\u202ey" })).toBe('{\n  "file": "x⟨U+202E⟩y"\n}');
  });
});

describe("formatExactDuration", () => {
  it.each([
    [0, "0ms"],
    [450, "450ms"],
    [1500, "1.5s"],
    [60_500, "1m500ms"],
    [61_000, "1m1s"],
    [90_000, "1m30s"],
    [150_000, "2m30s"],
    [3_599_999, "59m59.999s"],
    [5_400_000, "1h30m"],
    [90_000_000, "1d1h"],
  ])("shows a setting of %i ms as %s, never rounded", (ms, text) => {
    // Rounded to one unit, 1,500 ms showed as 2s and 90,000 ms as 2m: another setting.
    expect(formatExactDuration(ms)).toBe(text);
  });
});
