import { execFileSync } from 'node:child_process';

import { expect, test, type Page } from '@playwright/test';

import { COLORIZER_COMMAND, keysFileFor, REPO_ROOT } from '../stack';
import { fixture } from './helpers';

// The same web app behind two gateways of one stack (stack.ts): GATEWAY_AUTH=off (the
// default, as today) and GATEWAY_AUTH=keys, whose keys the real `colorizer keys` makes
// and revokes in its keys file while the page is open.
const keysGateway = `http://127.0.0.1:${process.env.E2E_KEYS_GATEWAY_PORT}`;
const keysFile = keysFileFor(Number(process.env.E2E_KEYS_GATEWAY_PORT));

function colorizerKeys(...args: string[]): { id: string; key: string } {
  const output = execFileSync(COLORIZER_COMMAND, ['keys', ...args, '--keys-file', keysFile, '--json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(output) as { id: string; key: string };
}

async function enterKey(page: Page, key: string) {
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Use this key' }).click();
}

async function upload(page: Page) {
  await page.getByLabel('Choose photos or videos').setInputFiles(fixture('chelsea-gray.jpg').path);
}

test.describe('API keys in the browser', () => {
  test('GATEWAY_AUTH=off: no key is asked for, and colorizing works as before', async ({ page }) => {
    await page.goto('/');
    await expect(page.getByText('Drop black-and-white photos or videos here')).toBeVisible();
    await expect(page.getByText('This server needs an API key')).toHaveCount(0);
    await upload(page);
    await expect(page.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' })).toBeVisible();
  });

  test('GATEWAY_AUTH=keys: asks once, keeps the key, shows private results, says when the key is wrong, out of quota or revoked', async ({
    page,
  }) => {
    const key = colorizerKeys('create', '--name', 'e2e', '--quota', '1/day');
    await page.goto(keysGateway);
    await expect(page.getByText('This server needs an API key')).toBeVisible();
    await expect(page.getByText('Drop black-and-white photos or videos here')).toHaveCount(0);

    // A wrong key: refused, said so in plain words, asked again.
    await enterKey(page, `clr_${key.id}_${'A'.repeat(43)}`);
    await expect(page.getByRole('alert')).toContainText('This API key is not valid for this server');

    await enterKey(page, key.key);
    await expect(page.getByText('Drop black-and-white photos or videos here')).toBeVisible();
    const colorized = page.waitForResponse((response) => response.url().endsWith('/api/colorize'));
    await upload(page);
    const stored = (await (await colorized).json()) as { url: string };
    const shown = page.getByRole('img', { name: 'Colorized: chelsea-gray.jpg' });
    await expect(shown).toBeVisible();
    // The result is the key's own: shown from a copy fetched with the key; without
    // a key 401, with another key 404.
    expect(await shown.getAttribute('src')).toMatch(/^blob:/);
    expect((await page.request.get(`${keysGateway}${stored.url}`)).status()).toBe(401);
    const other = colorizerKeys('create', '--name', 'e2e-other');
    const asOther = await page.request.get(`${keysGateway}${stored.url}`, {
      headers: { Authorization: `Bearer ${other.key}` },
    });
    expect(asOther.status()).toBe(404);

    // Kept in the browser: a reload asks nothing.
    await page.reload();
    await expect(page.getByText('Drop black-and-white photos or videos here')).toBeVisible();
    await expect(page.getByText('This server needs an API key')).toHaveCount(0);

    // Its one image for the day is used.
    await upload(page);
    await expect(page.getByText('This API key has used all its images for today')).toBeVisible();

    // Revoked while the page is open: the next request says so, and the key is asked for again.
    // (The photo refused for the quota is kept in the browser, its own alert with it.)
    colorizerKeys('revoke', key.id);
    await page.reload();
    await expect(page.getByRole('alert').filter({ hasText: 'revoked' })).toContainText('This API key has been revoked');
    await expect(page.getByLabel('API key', { exact: true })).toBeVisible();
  });
});
