import type { Browser, Page } from 'playwright-core';
import { API_KEYS_ENV, KEYS } from '../support/route-table';
import { cloudEvent, createTestContext } from '../support/test-app';
import { ServiceProcess } from '../support/service-process';
import { launchChromium, openPage } from './support/chromium';

/**
 * The console against a service with API keys: it asks for a key once, keeps it for the tab only
 * (sessionStorage, never a URL), and the role decides what is shown.
 */
describe('operator console with API keys', () => {
  let service: ServiceProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  /** Every URL the page asked for: a key must never be in one. */
  let urls: string[];

  beforeAll(async () => {
    [service, browser] = await Promise.all([
      // Request lines logged (info), so that the log can be checked for keys.
      ServiceProcess.start(await createTestContext(), {
        API_KEYS: API_KEYS_ENV,
        INGEST_ENABLED: 'false',
        LOG_LEVEL: 'info',
      }),
      launchChromium(),
    ]);
    const response = await fetch(`${service.url}/v1/operations/auth-op/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.writer}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(cloudEvent('auth-op', 'stage.started', { stage: 'fetch' })),
    });
    expect(response.status).toBe(201);
  });

  afterAll(async () => {
    await browser?.close();
    // Every request the console made is in the log, and no key is.
    const logs = service?.logs(Infinity) ?? '';
    await service?.stop();
    expect(logs).toContain('/v1/whoami');
    for (const key of Object.values(KEYS)) expect(logs).not.toContain(key);
  });

  beforeEach(async () => {
    // 401s are the point of some of these tests: the page handles them.
    ({ page, problems } = await openPage(browser, { expected: (message) => message.text().includes('401') }));
    urls = [];
    page.on('request', (request) => urls.push(request.url()));
  });

  afterEach(async () => {
    await page.context().close();
    expect(problems).toEqual([]);
    for (const key of Object.values(KEYS)) expect(urls.filter((url) => url.includes(key))).toEqual([]);
  });

  async function signIn(key: string): Promise<void> {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const storedKey = () => page.evaluate<string | null>("sessionStorage.getItem('opledger.apiKey')");

  it('asks for a key, refuses a wrong one, and keeps a good one for this tab only', async () => {
    const response = await page.goto(`${service.url}/console/operations/auth-op`);
    // The files are public; the data is not.
    expect(response?.status()).toBe(200);
    await page.getByLabel('API key').waitFor();
    await signIn('not-a-key-0123456789');
    await page.getByRole('alert').filter({ hasText: 'That key was refused' }).waitFor();
    expect(await storedKey()).toBeNull();

    await signIn(KEYS.reader);
    await page.getByTestId('role').filter({ hasText: 'reader' }).waitFor();
    // The page asked for stays the page shown, live over an authenticated stream.
    await page.locator('.gantt .bar[data-stage="fetch"][data-outcome="running"]').waitFor();
    await page.locator('.live-live').waitFor();
    expect(await storedKey()).toBe(KEYS.reader);
    expect(await page.evaluate<number>('localStorage.length')).toBe(0);
    expect(await page.context().cookies()).toEqual([]);

    // A reload keeps the session; another tab does not share it.
    await page.reload();
    await page.getByTestId('role').filter({ hasText: 'reader' }).waitFor();
    const other = await page.context().newPage();
    await other.goto(`${service.url}/console/`);
    await other.getByLabel('API key').waitFor();
    await other.close();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await storedKey()).toBeNull();
  });

  it('copies the id and the equivalent CLI and curl commands, with the key as a variable, never its value', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: service.url });
    await page.goto(`${service.url}/console/operations/auth-op`);
    await signIn(KEYS.reader);
    await page.locator('.gantt .bar[data-stage="fetch"]').waitFor();
    const copied = async (label: string) => {
      await page.getByRole('button', { name: `Copy ${label}` }).click();
      await page
        .locator('.copy', { hasText: `Copy ${label}` })
        .getByText('Copied')
        .waitFor();
      return page.evaluate<string>('navigator.clipboard.readText()');
    };
    await expect(copied('id')).resolves.toBe('auth-op');
    await expect(copied('CLI command')).resolves.toBe(`npx opledger get auth-op --url ${service.url}`);
    await expect(copied('curl command')).resolves.toBe(
      `curl -H "Authorization: Bearer $OPLEDGER_API_KEY" '${service.url}/v1/operations/auth-op'`,
    );
  });

  it('shows a reader no dead letters and no re-publish button; an admin both', async () => {
    await page.goto(`${service.url}/console/dead-letters`);
    await signIn(KEYS.reader);
    await page.getByTestId('needs-admin').waitFor();
    expect(await page.getByRole('button', { name: /Re-publish/ }).count()).toBe(0);
    // The count on the overview is for every reader.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('dead-letter-count').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(KEYS.admin);
    await page.getByTestId('role').filter({ hasText: 'admin' }).waitFor();
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('button', { name: /Re-publish/ }).waitFor();
    expect(await page.getByTestId('needs-admin').count()).toBe(0);
  });
});
