import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's chromium (`apt-get install -y chromium`); CHROMIUM_PATH names another binary. Playwright downloads no browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/**
 * Whether the browser tests can run. Outside CI a machine without chromium
 * skips them and says so on stderr; in CI (CI=true, where .ci/run installs
 * it) a missing browser is a failure, not a skip.
 */
export function chromiumPresent(what: string): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === "true") throw new Error(`${what}: ${CHROMIUM_PATH} is absent in CI; .ci/run installs Debian's chromium`);
  console.warn(`NOTICE: ${what} skipped: ${CHROMIUM_PATH} is absent (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  return false;
}

/** Off everything that would reach the network or a Google service on its own. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Headless chromium with a fresh profile directory; `close()` ends it and removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), "recs-chromium-"));
  // A persistent context is how playwright takes a profile directory of ours (it refuses --user-data-dir in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
