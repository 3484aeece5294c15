import { describe, expect, it } from "vitest";
import { dashboardAssets } from "../dist/index.js";

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

  it("returns the same files on every call", async () => {
    expect(await dashboardAssets()).toBe(await dashboardAssets());
  });
});
