import { expect, test } from '@playwright/test';

test.describe('the API reference at /api/docs', () => {
  test('shows every route from the gateway alone, with no request to another host', async ({ page, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:') elsewhere.push(request.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    const document = page.waitForResponse((response) => response.url().endsWith('/api/openapi.json'));
    await page.goto('/api/docs');
    expect((await document).status()).toBe(200);

    await expect(page.getByRole('heading', { name: /Colorizer API \(gateway\)/ })).toBeVisible();
    for (const path of ['/api/colorize', '/api/images/{id}', '/api/health', '/api/v1/colorize', '/api/v1/model']) {
      await expect(page.locator(`[data-path="${path}"]`).first()).toBeVisible();
    }
    // An operation opens with its parameters and the documented answers.
    await page.locator('[data-path="/api/v1/colorize"]').first().click();
    await expect(page.getByText('invalid_image').first()).toBeVisible();

    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
  });

  test("serves the service's own document at /api/v1/openapi.json", async ({ request }) => {
    const response = await request.get('/api/v1/openapi.json');
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { openapi: string; servers: { url: string }[]; paths: object };
    expect(body.openapi).toBe('3.1.0');
    expect(body.servers[0].url).toBe('/api');
    expect(Object.keys(body.paths)).toContain('/v1/colorize');
  });
});
