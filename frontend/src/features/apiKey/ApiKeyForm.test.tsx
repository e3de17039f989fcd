// The whole app with GATEWAY_AUTH=keys (the gateway says so on /api/health): it asks
// for a key before anything else, keeps it, and asks again, saying why, when the
// server refuses it or its quota is used up.
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import App from '../../App';
import { apiKeyStore } from '../../api/apiKey';
import { ApiError } from '../../api/colorizer';
import { createFakeApi, DEFAULT_GATEWAY, imageFile, resultFor } from '../../test/fakeApi';

const KEY = `clr_0123456789abcdef_${'k'.repeat(43)}`;

function setup(auth: 'off' | 'keys') {
  const fake = createFakeApi({ gateway: { ...DEFAULT_GATEWAY, auth } });
  const user = userEvent.setup({ applyAccept: false });
  render(<App api={fake.api} />);
  return { ...fake, user };
}

afterEach(() => {
  act(() => apiKeyStore.use(''));
  localStorage.clear();
});

describe('API keys', () => {
  it('asks for nothing when the server needs no key', async () => {
    setup('off');
    expect(await screen.findByText('colorizer-default')).toBeInTheDocument();
    expect(screen.queryByText('This server needs an API key')).not.toBeInTheDocument();
    expect(screen.getByText('Drop black-and-white photos or videos here')).toBeInTheDocument();
  });

  it('asks for a key first, then keeps it in the browser', async () => {
    const { user } = setup('keys');
    expect(await screen.findByText('This server needs an API key')).toBeInTheDocument();
    expect(screen.queryByText('Drop black-and-white photos or videos here')).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('API key'), `  ${KEY}  `);
    await user.click(screen.getByRole('button', { name: 'Use this key' }));
    expect(screen.queryByText('This server needs an API key')).not.toBeInTheDocument();
    expect(screen.getByText('Drop black-and-white photos or videos here')).toBeInTheDocument();
    expect(localStorage.getItem('colorizer.apiKey')).toBe(KEY);
    expect(screen.getByRole('button', { name: 'Use another API key' })).toBeInTheDocument();
  });

  it('says plainly when the key was revoked, and asks for another', async () => {
    const { user } = setup('keys');
    await user.type(await screen.findByLabelText('API key'), KEY);
    await user.click(screen.getByRole('button', { name: 'Use this key' }));
    act(() => apiKeyStore.refused('api_key_revoked'));
    expect(await screen.findByRole('alert')).toHaveTextContent('This API key has been revoked');
    expect(screen.getByLabelText('API key')).toHaveValue('');
  });

  it('says plainly when the key is out of quota for the day', async () => {
    const { user, calls } = setup('keys');
    await user.type(await screen.findByLabelText('API key'), KEY);
    await user.click(screen.getByRole('button', { name: 'Use this key' }));
    await screen.findByText('colorizer-default');
    const input = document.querySelector<HTMLInputElement>('input[type="file"]')!;
    await user.upload(input, imageFile('attic.jpg'));
    await act(async () => calls[0].reject(new ApiError('quota_exceeded', 'used up', 429, 3600)));
    const card = screen.getByRole('article', { name: 'attic.jpg' });
    expect(within(card).getByText(/has used all its images for today/)).toBeInTheDocument();
  });

  it("frees a result's local copy when its image is removed", async () => {
    const { user, calls } = setup('keys');
    await user.type(await screen.findByLabelText('API key', { exact: true }), KEY);
    await user.click(screen.getByRole('button', { name: 'Use this key' }));
    await screen.findByText('colorizer-default');
    const revoke = vi.spyOn(URL, 'revokeObjectURL');
    await user.upload(document.querySelector<HTMLInputElement>('input[type="file"]')!, imageFile('attic.jpg'));
    const copy = 'blob:test/local-copy-of-the-result';
    await act(async () => calls[0].resolve(resultFor('attic.jpg', { url: copy, downloadUrl: copy })));
    // The copy fetched with the key is kept in the browser as the result's own copy; the key's one goes.
    const shown = (await screen.findByRole('img', { name: 'Colorized: attic.jpg' })).getAttribute('src');
    expect(shown).toMatch(/^blob:/);
    expect(revoke).toHaveBeenCalledWith(copy);
    expect(revoke).not.toHaveBeenCalledWith(shown);
    await user.click(screen.getByRole('button', { name: 'Remove attic.jpg' }));
    expect(revoke).toHaveBeenCalledWith(shown);
    revoke.mockRestore();
  });
});
