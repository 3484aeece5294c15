// Debian's chromium driven by playwright-core (Playwright's own browser download is not used).
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** The browser binary: `SCHED_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM = process.env.SCHED_CHROMIUM ?? "/usr/bin/chromium";

/** Where screenshots of each page are kept (CI keeps the package's reports folder). */
export const SCREENSHOTS = fileURLToPath(new URL("../../reports/screenshots/", import.meta.url));

/** Starts a headless chromium; fails with a clear message when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set SCHED_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot as `reports/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}
