import { describe, expect, it } from "vitest";
import { formatJson, shown } from "../src/ui/format.js";

describe("job data as the dashboard shows it", () => {
  it("writes out the characters that would reorder or hide text", () => {
    expect(shown("invoice\u202egnp.exe")).toBe("invoice⟨U+202E⟩gnp.exe");
    expect(shown("a\u200bb\u2066c\u2069\ufeff")).toBe("a⟨U+200B⟩b⟨U+2066⟩c⟨U+2069⟩⟨U+FEFF⟩");
    expect(shown("plain ascii, émoji 😀, עברית")).toBe("plain ascii, émoji 😀, עברית");
    expect(formatJson({ file: "x\u202ey" })).toBe('{\n  "file": "x⟨U+202E⟩y"\n}');
  });
});
