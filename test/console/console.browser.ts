import type { Producer } from 'kafkajs';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { connectProducer, createTestContext, type TestContext } from '../support/test-app';
import { ServiceProcess } from '../support/service-process';
import { launchChromium, openPage, screenshot } from './support/chromium';
import { seed, SEEDED } from './support/seed';

/**
 * The console in a real Chromium against the built service, Postgres and Kafka, without API keys
 * (loopback: everything open, the console acts as admin). Events reach the service through Kafka.
 */
describe('operator console', () => {
  let context: TestContext;
  let service: ServiceProcess;
  let producer: Producer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  /** The service has no stage analytics yet: the overview's 404 for it is handled, not a problem. */
  const expected = (message: ConsoleMessage) =>
    message.text().includes('404') && message.location().url.includes('/v1/stats/stages');

  beforeAll(async () => {
    context = await createTestContext();
    [service, producer, browser] = await Promise.all([
      ServiceProcess.start(context, { WATCH_POLL_INTERVAL_MS: '100' }),
      connectProducer(),
      launchChromium(),
    ]);
    await seed(producer, context.topic, service.url);
  });

  afterAll(async () => {
    await browser?.close();
    await producer?.disconnect();
    await service?.stop();
  });

  beforeEach(async () => {
    ({ page, problems } = await openPage(browser, { expected }));
  });

  afterEach(async () => {
    await page.context().close();
    expect(problems).toEqual([]);
  });

  it('is served at /console/ (/ redirects there) with a CSP that allows no inline script', async () => {
    const response = await page.goto(`${service.url}/`);
    expect(page.url()).toBe(`${service.url}/console/`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const inlineScripts = await page.$$eval('script', (scripts) => scripts.filter((s) => !s.src).length);
    expect(inlineScripts).toBe(0);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByTestId('dead-letter-count').filter({ hasText: '1' }).waitFor();
    await page.locator('[data-status="failed"]').filter({ hasText: '1' }).waitFor();
    await page.getByTestId('running-by-stage').getByRole('link', { name: 'merge' }).waitFor();
    await screenshot(page, 'overview');
  });

  it('lists operations and filters them by status, stage and stage status, and source', async () => {
    await page.goto(`${service.url}/console/operations`);
    const ids = () =>
      page.$$eval('table[data-testid=operations] tbody tr', (rows) => rows.map((r) => r.getAttribute('data-id')));
    await page.locator('tr[data-id="order-retry"]').waitFor();
    expect((await ids()).sort()).toEqual(Object.keys(SEEDED).sort());
    await screenshot(page, 'operations');

    await page.getByRole('checkbox', { name: /failed/ }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=failed/);
    await page.locator('table[data-testid=operations] tbody tr').first().waitFor();
    expect(await ids()).toEqual(['order-failed']);

    await page.goto(`${service.url}/console/operations?stage=enrich-geo&stageStatus=succeeded`);
    await page.locator('tr[data-id="order-done"]').waitFor();
    expect((await ids()).sort()).toEqual(['order-done', 'order-retry']);

    await page.goto(`${service.url}/console/operations?source=pipeline%2Fbatch`);
    await page.locator('tr[data-id="batch-7"]').waitFor();
    expect(await ids()).toEqual(['batch-7']);
    await expect(page.getByLabel('Source').inputValue()).resolves.toBe('pipeline/batch');
  });
});
