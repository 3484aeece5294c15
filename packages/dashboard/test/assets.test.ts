import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dashboardAssets as builtAssets } from "../dist/index.js";
import { readAssets, dashboardAssets as sourceAssets } from "../src/index.js";

/** The built UI read by the source module (for coverage of src/), the same files as the package's. */
const dashboardAssets = () => readAssets(fileURLToPath(new URL("../dist/ui/", import.meta.url)));

const text = (body: Uint8Array) => new TextDecoder().decode(body);

describe("dashboardAssets", () => {
  it("holds the page, its script and its styles with their media types", async () => {
    const assets = await dashboardAssets();
    expect([...assets.keys()].sort()).toEqual(["/assets/app.css", "/assets/app.js", "/index.html"]);
    expect(assets.get("/index.html")?.type).toBe("text/html; charset=utf-8");
    expect(assets.get("/assets/app.js")?.type).toBe("text/javascript; charset=utf-8");
    expect(assets.get("/assets/app.css")?.type).toBe("text/css; charset=utf-8");
  });

  it("the page loads its script and styles by relative paths, so it works under any base path", async () => {
    const html = text((await dashboardAssets()).get("/index.html")!.body);
    expect(html).toContain('src="assets/app.js"');
    expect(html).toContain('href="assets/app.css"');
  });

  it("loads nothing from another origin at run time", async () => {
    const assets = await dashboardAssets();
    for (const [path, asset] of assets) {
      const content = text(asset.body);
      // A CDN reference would be a URL in a src/href/import or a CSS url().
      expect(content, path).not.toMatch(
        /(src|href)=["']https?:|@import\s+["']?https?:|url\(["']?https?:|import\(["']https?:/,
      );
    }
  });

  it("the script bundles the UI library and the chart (no bare imports left)", async () => {
    const js = text((await dashboardAssets()).get("/assets/app.js")!.body);
    expect(js).not.toMatch(/from\s*["'](preact|uplot)/);
    expect(js).toContain("uplot");
    expect(js.length).toBeGreaterThan(20_000);
  });
});

describe("the built package", () => {
  it("dashboardAssets of the built entry serves the same files as the source reads", async () => {
    const built = await builtAssets();
    expect([...built.keys()].sort()).toEqual([...(await dashboardAssets()).keys()].sort());
    expect(await builtAssets()).toBe(built);
  });

  it("readAssets refuses a folder without index.html", async () => {
    await expect(readAssets(fileURLToPath(new URL("../dist/ui/assets/", import.meta.url)))).rejects.toThrow(
      /index\.html/,
    );
  });
});

describe("dashboardAssets of the source module", () => {
  it("reads the folder beside the module once and keeps the map", async () => {
    // Beside src/index.ts lies the UI's source folder, whose index.html is the page template.
    const first = await sourceAssets();
    expect(first.has("/index.html")).toBe(true);
    expect(await sourceAssets()).toBe(first);
  });
});
