import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import App from './App';
import { ApiError } from './api/colorizer';
import { createFakeApi, DEFAULT_MODEL, imageFile, resultFor } from './test/fakeApi';

function setup(options?: Parameters<typeof createFakeApi>[0]) {
  const fake = createFakeApi(options);
  // applyAccept off: a user can still pick "All files" in the dialog, or drop anything.
  const user = userEvent.setup({ applyAccept: false });
  render(<App api={fake.api} />);
  return { ...fake, user };
}

/** setup(), once the model's limits have arrived (the badge names the model). */
async function setupLoaded(options?: Parameters<typeof createFakeApi>[0]) {
  const result = setup(options);
  const model = options?.model;
  const loaded = model && !(model instanceof Error) && !Array.isArray(model) ? model : DEFAULT_MODEL;
  await screen.findByText(loaded.name);
  return result;
}

function card(name: string) {
  return screen.getByRole('article', { name });
}

describe('App', () => {
  it('shows which model colorizes', async () => {
    setup();
    expect(await screen.findByText('colorizer-default')).toBeInTheDocument();
    expect(screen.getByText('v1.2.0')).toBeInTheDocument();
  });

  it('says the colorizer is starting, then shows the model once it is ready', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      setup({ model: [new ApiError('not_ready', 'loading', 503), DEFAULT_MODEL] });
      expect(await screen.findByText(/colorizer starting/i)).toBeInTheDocument();
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3_000);
      });
      expect(await screen.findByText('colorizer-default')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });

  it('says so when the colorizer cannot be reached', async () => {
    setup({ model: new ApiError('network_error', 'down') });
    expect(await screen.findByText(/colorizer offline/i)).toBeInTheDocument();
  });

  it('uploads a photo, shows progress, then the result side by side and as a slider', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('grandma.jpg'));

    const item = card('grandma.jpg');
    expect(calls).toHaveLength(1);
    expect(calls[0].file.name).toBe('grandma.jpg');
    const progress = within(item).getByRole('progressbar', { name: 'Uploading grandma.jpg' });
    expect(progress).toHaveAttribute('value', '0');

    act(() => calls[0].options.onUploadProgress?.(0.42));
    expect(progress).toHaveAttribute('value', '42');
    expect(within(item).getByText('Uploading… 42%')).toBeInTheDocument();

    act(() => calls[0].options.onUploaded?.());
    expect(within(item).getByRole('status')).toHaveTextContent('Colorizing…');
    expect(within(item).queryByRole('progressbar')).not.toBeInTheDocument();

    await act(async () => calls[0].resolve(resultFor('grandma.jpg', { width: 800, height: 600 })));
    const colorized = within(item).getByRole('img', { name: 'Colorized: grandma.jpg' });
    // Shown from the copy kept in the browser, not from the server (which deletes it after a while).
    expect(colorized.getAttribute('src')).toMatch(/^blob:/);
    expect(within(item).getByRole('img', { name: 'Original: grandma.jpg' }).getAttribute('src')).toMatch(/^blob:/);
    expect(within(item).getByText('800 × 600 px')).toBeInTheDocument();
    // The model's name is in "About this model", not on every card.
    expect(within(item).queryByText(/colorizer-default/)).not.toBeInTheDocument();
    expect(within(item).getByText('812 ms')).toBeInTheDocument();

    await user.click(within(item).getByRole('button', { name: 'Side by side' }));
    expect(within(item).getByRole('button', { name: 'Side by side' })).toHaveAttribute('aria-pressed', 'true');
    expect(within(item).getByText('Original', { selector: 'figcaption' })).toBeInTheDocument();
    expect(within(item).getByText('Colorized', { selector: 'figcaption' })).toBeInTheDocument();
    expect(within(item).queryByRole('slider', { name: 'Before and after comparison' })).not.toBeInTheDocument();
  });

  it('offers the download as PNG, or JPEG by choice', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('street.png', 'image/png'));
    await act(async () => calls[0].resolve(resultFor('street.png')));

    const item = card('street.png');
    const png = within(item).getByRole('link', { name: 'Download PNG' });
    expect(png.getAttribute('href')).toMatch(/^blob:/);
    expect(png).toHaveAttribute('download', 'street-colorized.png');

    await user.selectOptions(within(item).getByLabelText('Format'), 'JPEG (smaller file)');
    expect(within(item).queryByRole('link', { name: /download/i })).not.toBeInTheDocument();
    expect(within(item).getByRole('button', { name: 'Download JPEG' })).toBeEnabled();
  });

  it('without a copy in the browser, offers to colorize again once the server has deleted the result', async () => {
    const { user, calls, api } = setup();
    api.fetchImageBlob = () => Promise.reject(new ApiError('network_error', 'down'));
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('old.jpg'));
    await act(async () => calls[0].resolve(resultFor('old.jpg', { expiresAtMs: Date.now() - 1 })));

    const item = card('old.jpg');
    expect(within(item).getByText(/deleted from the server/)).toBeInTheDocument();
    expect(within(item).queryByRole('link', { name: /download/i })).not.toBeInTheDocument();
    await user.click(within(item).getByRole('button', { name: 'Colorize again' }));
    expect(calls).toHaveLength(2);
    await act(async () => calls[1].resolve(resultFor('old.jpg', { expiresAtMs: Date.now() + 3600_000 })));
    expect(within(item).getByRole('link', { name: 'Download PNG' })).toBeInTheDocument();
  });

  it('moves the before/after slider with the keyboard', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile());
    await act(async () => calls[0].resolve(resultFor('photo.jpg')));

    const slider = screen.getByRole('slider', { name: 'Before and after comparison' });
    const figure = slider.closest('figure') as HTMLElement;
    expect(slider).toHaveValue('50');

    await user.tab({}); // focus moves through the page like a keyboard user's
    slider.focus();
    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(slider).toHaveValue('48');
    expect(slider).toHaveAttribute('aria-valuetext', '48% original, 52% colorized');
    expect(figure.style.getPropertyValue('--position')).toBe('48%');

    await user.keyboard('{Shift>}{ArrowRight}{/Shift}');
    expect(slider).toHaveValue('58');
    await user.keyboard('{End}');
    expect(slider).toHaveValue('100');
    await user.keyboard('{ArrowRight}');
    expect(slider).toHaveValue('100');
    await user.keyboard('{Home}');
    expect(slider).toHaveValue('0');
  });

  it('refuses a file that is not an image before uploading it', async () => {
    const { user, calls } = await setupLoaded();
    await user.upload(
      screen.getByLabelText('Choose photos or videos'),
      new File(['hello'], 'notes.txt', { type: 'text/plain' }),
    );

    expect(within(card('notes.txt')).getByRole('alert')).toHaveTextContent(
      'This is not an image we can read. Please choose a JPEG, PNG, WebP, TIFF, BMP or GIF file.',
    );
    expect(calls).toHaveLength(0);
  });

  it('refuses a file over the size limit before uploading it', async () => {
    const { user, calls } = await setupLoaded();
    const big = imageFile('huge.jpg', 'image/jpeg', 25 * 1024 * 1024);
    await user.upload(screen.getByLabelText('Choose photos or videos'), big);

    expect(within(card('huge.jpg')).getByRole('alert')).toHaveTextContent(
      'This file is 25 MB, over the 20 MB limit. Please use a smaller image.',
    );
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['invalid_image', 'This file could not be read as an image. It may be damaged, or not really an image.', false],
    ['unsupported_media_type', 'This file type is not supported. Please use JPEG, PNG, WebP, TIFF, BMP or GIF.', false],
    ['payload_too_large', 'This file is too large to upload. The limit is 20 MB.', false],
    [
      'image_too_large',
      'This image has too many pixels to colorize. Please scale it down (under 50 megapixels)',
      false,
    ],
    ['busy', 'The colorizer is busy with other images right now.', true],
    ['upstream_unavailable', 'The colorizer cannot be reached right now.', true],
    ['upstream_timeout', 'The colorizer took too long to answer.', true],
    ['rate_limited', 'You have sent many images in a short time.', true],
    ['network_error', 'The server could not be reached.', true],
  ])('explains the API error %s in plain words', async (code, text, retryable) => {
    const { user, calls } = await setupLoaded();
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile());
    const raw = `{"error": {"code": "${code}", "message": "raw server text"}}`;
    await act(async () => calls[0].reject(new ApiError(code, raw, 400)));

    const alert = within(card('photo.jpg')).getByRole('alert');
    expect(alert).toHaveTextContent(text);
    expect(alert.textContent).not.toMatch(/[{}"_]/); // no JSON, no raw error code
    expect(alert).not.toHaveTextContent('raw server text');
    expect(within(card('photo.jpg')).queryByRole('button', { name: 'Retry' }) !== null).toBe(retryable);
  });

  it('tries again after a busy answer and then shows the result', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile());
    await act(async () => calls[0].reject(new ApiError('busy', 'busy', 503, 2)));

    await user.click(within(card('photo.jpg')).getByRole('button', { name: 'Retry' }));
    expect(calls).toHaveLength(2);
    await act(async () => calls[1].resolve(resultFor('photo.jpg')));
    expect(within(card('photo.jpg')).getByRole('img', { name: 'Colorized: photo.jpg' })).toBeInTheDocument();
    expect(within(card('photo.jpg')).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('queues several files and colorizes them one at a time', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), [
      imageFile('one.jpg'),
      imageFile('two.jpg'),
      imageFile('three.jpg'),
    ]);

    expect(screen.getAllByRole('article').map((article) => within(article).getByRole('heading').textContent)).toEqual([
      'one.jpg',
      'two.jpg',
      'three.jpg',
    ]);
    expect(calls.map((call) => call.file.name)).toEqual(['one.jpg']);
    expect(within(card('two.jpg')).getByText('Waiting for its turn…')).toBeInTheDocument();

    await act(async () => calls[0].resolve(resultFor('one.jpg')));
    expect(calls.map((call) => call.file.name)).toEqual(['one.jpg', 'two.jpg']);
    await act(async () => calls[1].reject(new ApiError('invalid_image', 'bad')));
    expect(calls.map((call) => call.file.name)).toEqual(['one.jpg', 'two.jpg', 'three.jpg']);
    await act(async () => calls[2].resolve(resultFor('three.jpg')));

    expect(within(card('one.jpg')).getByRole('img', { name: 'Colorized: one.jpg' })).toBeInTheDocument();
    expect(within(card('two.jpg')).getByRole('alert')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Clear finished' }));
    expect(screen.queryAllByRole('article')).toHaveLength(0);
  });

  it('accepts files dropped on the drop zone', async () => {
    const { calls } = setup();
    const zone = screen.getByRole('region', { name: 'Add images' });
    const files = [imageFile('dropped.jpg')];
    fireEvent.dragOver(zone, { dataTransfer: { files, types: ['Files'] } });
    expect(screen.getByText('Drop to colorize')).toBeInTheDocument();
    fireEvent.drop(zone, { dataTransfer: { files, types: ['Files'] } });

    expect(card('dropped.jpg')).toBeInTheDocument();
    expect(calls.map((call) => call.file.name)).toEqual(['dropped.jpg']);
  });

  it('sends the chosen detail', async () => {
    const { user, calls } = await setupLoaded();
    await user.click(screen.getByRole('radio', { name: 'High' }));
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile());
    expect(calls[0].options.renderSize).toBe(512);
  });

  it('cancels an upload when its image is removed', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), [
      imageFile('first.jpg'),
      imageFile('second.jpg'),
    ]);

    await user.click(screen.getByRole('button', { name: 'Remove first.jpg' }));
    expect(calls[0].options.signal?.aborted).toBe(true);
    await act(async () => calls[0].reject(new ApiError('aborted', 'cancelled')));
    expect(screen.queryByRole('article', { name: 'first.jpg' })).not.toBeInTheDocument();
    // The next image starts at once.
    expect(calls.map((call) => call.file.name)).toEqual(['first.jpg', 'second.jpg']);
  });
});

describe('limits come from the API', () => {
  const smallerService = {
    ...DEFAULT_MODEL,
    name: 'small-service',
    limits: {
      ...DEFAULT_MODEL.limits!,
      maxUploadBytes: 5 * 1024 * 1024,
      maxPixels: 12_000_000,
      renderSizeMin: 64,
      renderSizeMax: 512,
      formatNames: ['JPEG', 'PNG'],
      mediaTypes: ['image/jpeg', 'image/png'],
      extensions: ['.jpeg', '.jpg', '.png'],
    },
  };

  it("checks files against the service's own upload limit and formats", async () => {
    const { user, calls } = await setupLoaded({ model: smallerService });
    expect(screen.getByText(/JPEG or PNG, up to 5 MB each/)).toBeInTheDocument();
    expect(screen.getByLabelText('Choose photos or videos')).toHaveAttribute(
      'accept',
      'image/jpeg,image/png,.jpeg,.jpg,.png,video/*,.mp4,.m4v,.mov,.mkv,.webm,.avi',
    );
    await user.upload(screen.getByLabelText('Choose photos or videos'), [
      imageFile('big.jpg', 'image/jpeg', 6 * 1024 * 1024),
      imageFile('photo.webp', 'image/webp'),
    ]);
    expect(within(card('big.jpg')).getByRole('alert')).toHaveTextContent('over the 5 MB limit');
    expect(within(card('photo.webp')).getByRole('alert')).toHaveTextContent('Please choose a JPEG or PNG file.');
    expect(calls).toHaveLength(0);
  });

  it("offers the service's render sizes and names its pixel limit", async () => {
    const { user, calls } = await setupLoaded({ model: smallerService });
    const detail = screen.getByRole('group', { name: 'Detail' });
    expect(
      within(detail)
        .getAllByRole('radio')
        .map((radio) => radio.closest('label')?.textContent),
    ).toEqual(['Standard', 'High']);
    expect(within(detail).getByRole('radio', { name: 'High' }).closest('label')).toHaveAttribute(
      'title',
      'The model looks at the photo 512 px on its short side',
    );
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile());
    await act(async () => calls[0].reject(new ApiError('image_too_large', 'raw', 422)));
    expect(within(card('photo.jpg')).getByRole('alert')).toHaveTextContent('under 12 megapixels');
  });

  it('says how long results are kept, as the gateway says', async () => {
    setup({ gateway: { resultTtlS: 7200, maxUploadBytes: 20 * 1024 * 1024, auth: 'off' } });
    expect(await screen.findByText(/Results are kept on the server for 2 hours/)).toBeInTheDocument();
  });

  it('while the server has not answered: no numbers, the server decides', async () => {
    const offline = new ApiError('network_error', 'unreachable');
    const { user, calls } = setup({ model: offline, gateway: offline });
    expect(await screen.findByText(/Results are kept on the server for a limited time/)).toBeInTheDocument();
    expect(screen.getByLabelText('Choose photos or videos')).toHaveAttribute(
      'accept',
      'image/*,video/*,.mp4,.m4v,.mov,.mkv,.webm,.avi',
    );
    expect(within(screen.getByRole('group', { name: 'Detail' })).getAllByRole('radio')).toHaveLength(1);
    // No size known: a large image goes to the server, which answers with its limit.
    await user.upload(
      screen.getByLabelText('Choose photos or videos'),
      imageFile('big.jpg', 'image/jpeg', 30 * 1024 * 1024),
    );
    expect(calls.map((call) => call.file.name)).toEqual(['big.jpg']);
    await act(async () => calls[0].reject(new ApiError('payload_too_large', 'raw', 413)));
    expect(within(card('big.jpg')).getByRole('alert')).toHaveTextContent('This file is too large to upload.');
  });
});
