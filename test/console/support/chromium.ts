import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's chromium package; playwright-core downloads no browser of its own. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless, no sandbox (CI runs as root), nothing that phones home or updates itself. Playwright
 * gives every launch a fresh temporary --user-data-dir of its own (and refuses one in `args`).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * A page in a fresh context (its own sessionStorage), recording every script error and console
 * error, so a test can assert there were none. `expected` filters known, intended ones (a 404 the
 * page handles).
 */
export async function openPage(
  browser: Browser,
  options: { expected?: (message: ConsoleMessage) => boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    if (options.expected?.(message)) return;
    problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, problems };
}

/**
 * Screenshots for docs/console.md: written to CONSOLE_SCREENSHOTS_DIR when it is set
 * (`npm run docs:screenshots` sets docs/console), else to .scratch/console-screenshots.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir =
    process.env.CONSOLE_SCREENSHOTS_DIR ?? join(__dirname, '..', '..', '..', '.scratch', 'console-screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
