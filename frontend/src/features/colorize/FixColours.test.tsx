// "Fix colours" and vibrance, used as a person uses them: click the picture to drop a
// pin, pick its colour, drag it, move it with the keys, delete it, slide vibrance.
// The network layer is the stand-in of src/test/fakeApi.ts: each re-colorize call
// waits until the test answers it, so every state in between can be checked. Once the
// result is shown the clock is faked, so the test decides when the quiet time after a
// change has passed (a slow machine must not turn one change into two requests).
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import App from '../../App';
import { ApiError } from '../../api/colorizer';
import { createFakeApi, DEFAULT_MODEL, imageFile, resultFor, type PendingCall } from '../../test/fakeApi';
import { RECOLORIZE_DELAY_MS } from '../../shared/steering/useSteering';

// jsdom lays nothing out: give the picture a 400 x 300 box at the page's origin.
const BOX = { x: 0, y: 0, left: 0, top: 0, width: 400, height: 300, right: 400, bottom: 300 };

beforeEach(() => {
  // Testing Library runs its own zero-delay timers on a fake clock when it sees Jest's;
  // its check is `jest.advanceTimersByTime`, which is Vitest's `vi` by another name.
  vi.stubGlobal('jest', { advanceTimersByTime: (ms: number) => vi.advanceTimersByTime(ms) });
  vi.spyOn(HTMLImageElement.prototype, 'getBoundingClientRect').mockReturnValue({
    ...BOX,
    toJSON: () => BOX,
  } as DOMRect);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

function resultNumber(n: number) {
  const id = `RESULT${String(n).padStart(18, '0')}`;
  return resultFor('photo.jpg', { id, url: `/api/images/${id}`, downloadUrl: `/api/images/${id}?download=1` });
}

/** Upload a photo, answer it, and open "Fix colours". */
async function openFixColours(options?: Parameters<typeof createFakeApi>[0]) {
  const fake = createFakeApi(options);
  // No pauses between the simulated events: with the clock faked, nothing would end them.
  const user = userEvent.setup({ applyAccept: false, delay: null });
  render(<App api={fake.api} />);
  await screen.findByText('colorizer-default'); // the model (and whether it takes hints) is known
  await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('photo.jpg'));
  await act(async () => fake.calls[0].resolve(resultFor('photo.jpg')));
  const card = screen.getByRole('article', { name: 'photo.jpg' });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  return { ...fake, user, card };
}

/** Let the quiet time after the last change pass. */
function pause(ms = RECOLORIZE_DELAY_MS) {
  act(() => {
    vi.advanceTimersByTime(ms);
  });
}

/** The request the changes so far make, once the quiet time after the last one has passed: the `count`th call. */
function nextCall(calls: PendingCall[], count: number): PendingCall {
  expect(calls).toHaveLength(count - 1);
  pause(RECOLORIZE_DELAY_MS - 1);
  expect(calls).toHaveLength(count - 1); // not before the quiet time is over
  pause(1);
  expect(calls).toHaveLength(count);
  return calls[count - 1];
}

function shownImage(card: HTMLElement) {
  return within(card).getByRole('img', { name: 'Colorized: photo.jpg' });
}

// A few seconds each on the project's shared 2-core machines (many simulated events).
const SLOW = { timeout: 20_000 };

describe('Fix colours', SLOW, () => {
  it('drops a pin where the picture is clicked, takes a suggested colour, and shows the re-colorized result', async () => {
    const { user, card, calls } = await openFixColours();
    await user.click(within(card).getByRole('button', { name: 'Fix colours' }));
    expect(within(card).getByRole('button', { name: 'Fix colours' })).toHaveAttribute('aria-pressed', 'true');
    expect(within(card).getByText('No pins yet: the colours are the model’s own.')).toBeInTheDocument();

    // Click at (100, 180) of the 400 x 300 picture: 25% from the left, 60% from the top.
    await user.pointer({ keys: '[MouseLeft]', target: shownImage(card), coords: { clientX: 100, clientY: 180 } });
    const pin = within(card).getByRole('button', { name: /^Pin 1: .*25% from the left, 60% from the top$/ });
    expect(pin).toHaveAttribute('aria-pressed', 'true');
    expect(within(card).getByText('1 of 64 pins')).toBeInTheDocument();

    // Choosing a colour right away: one request, with the chosen colour (the changes are debounced).
    const suggestions = within(card).getByRole('group', { name: 'Suggested colours' });
    expect(
      within(suggestions)
        .getAllByRole('button')
        .map((button) => button.textContent),
    ).toEqual(['Sky', 'Foliage', 'Skin', 'Brick']);
    await user.click(within(suggestions).getByRole('button', { name: 'Brick' }));
    expect(within(card).getByText('Updating the colours…')).toBeInTheDocument();
    const call = nextCall(calls, 2);
    expect(call.file.name).toBe('photo.jpg');
    expect(call.options.hints).toEqual([{ x: 0.25, y: 0.6, color: '#a4452c', reach: 'medium' }]);
    expect(call.options.vibrance).toBeUndefined(); // not chosen: the service's default

    await act(async () => call.resolve(resultNumber(2)));
    expect(shownImage(card)).toHaveAttribute('src', resultNumber(2).url);
    // The pin stays on the picture, and Download gives the steered result.
    expect(within(card).getByRole('button', { name: /^Pin 1: #a4452c/ })).toBeInTheDocument();
    expect(within(card).getByRole('link', { name: 'Download PNG' })).toHaveAttribute(
      'href',
      resultNumber(2).downloadUrl,
    );
    expect(within(card).getByText('Adjusted: 1 pin')).toBeInTheDocument();
    pause(RECOLORIZE_DELAY_MS * 2);
    expect(calls).toHaveLength(2); // nothing more was sent
  });

  it('takes any colour from the colour picker', async () => {
    const { user, card, calls } = await openFixColours();
    await user.click(within(card).getByRole('button', { name: 'Fix colours' }));
    await user.pointer({ keys: '[MouseLeft]', target: shownImage(card), coords: { clientX: 200, clientY: 150 } });
    const picker = within(card).getByLabelText('Colour of pin 1');
    fireEvent.input(picker, { target: { value: '#ff0000' } });
    expect(picker).toHaveValue('#ff0000');
    const call = nextCall(calls, 2);
    expect(call.options.hints).toEqual([{ x: 0.5, y: 0.5, color: '#ff0000', reach: 'medium' }]);
  });

  it('moves a pin by dragging it, and cancels the request the move made stale', async () => {
    const { user, card, calls } = await openFixColours();
    await user.click(within(card).getByRole('button', { name: 'Fix colours' }));
    await user.pointer({ keys: '[MouseLeft]', target: shownImage(card), coords: { clientX: 100, clientY: 180 } });
    const first = nextCall(calls, 2);
    expect(first.options.hints).toEqual([{ x: 0.25, y: 0.6, color: '#808080', reach: 'medium' }]);

    const pin = within(card).getByRole('button', { name: /^Pin 1:/ });
    await user.pointer([
      { keys: '[MouseLeft>]', target: pin, coords: { clientX: 100, clientY: 180 } },
      { target: pin, coords: { clientX: 200, clientY: 100 } },
      { target: pin, coords: { clientX: 300, clientY: 60 } },
      { keys: '[/MouseLeft]', target: pin, coords: { clientX: 300, clientY: 60 } },
    ]);
    expect(
      within(card).getByRole('button', { name: /^Pin 1: .*75% from the left, 20% from the top$/ }),
    ).toBeInTheDocument();
    expect(within(card).getAllByRole('button', { name: /^Pin / })).toHaveLength(1); // moved, not added
    expect(first.options.signal?.aborted).toBe(true);

    const moved = nextCall(calls, 3);
    expect(moved.options.hints).toEqual([{ x: 0.75, y: 0.2, color: '#808080', reach: 'medium' }]);
    // The stale answer arrives late: it is not shown.
    await act(async () => first.resolve(resultNumber(2)));
    expect(shownImage(card)).toHaveAttribute('src', expect.stringMatching(/^blob:/));
    await act(async () => moved.resolve(resultNumber(3)));
    expect(shownImage(card)).toHaveAttribute('src', resultNumber(3).url);
  });

  it('is usable from the keyboard: add a pin, move it with the arrow keys, Delete removes it', async () => {
    const { user, card, calls } = await openFixColours();
    await user.click(within(card).getByRole('button', { name: 'Fix colours' }));
    await user.click(within(card).getByRole('button', { name: 'Add a pin' }));
    const pin = within(card).getByRole('button', { name: /^Pin 1: .*50% from the left, 50% from the top$/ });
    await user.click(within(card).getByRole('button', { name: 'Sky' }));

    pin.focus();
    await user.keyboard('{ArrowRight}{ArrowRight}{Shift>}{ArrowDown}{/Shift}');
    expect(pin).toHaveAccessibleName(/52% from the left, 55% from the top$/);
    expect(pin).toHaveFocus();
    const moved = nextCall(calls, 2);
    expect(moved.options.hints).toEqual([{ x: 0.52, y: 0.55, color: '#6b9bd8', reach: 'medium' }]);
    await act(async () => moved.resolve(resultNumber(2)));

    // A second pin, then Delete on the first: the request carries the second only.
    await user.pointer({ keys: '[MouseLeft]', target: shownImage(card), coords: { clientX: 40, clientY: 30 } });
    await user.click(within(card).getByRole('button', { name: 'Foliage' }));
    within(card)
      .getByRole('button', { name: /^Pin 1:/ })
      .focus();
    await user.keyboard('{Delete}');
    const pins = within(card).getAllByRole('button', { name: /^Pin / });
    expect(pins).toHaveLength(1);
    expect(pins[0]).toHaveAccessibleName(/^Pin 1: #4f7f2a, 10% from the left, 10% from the top$/);
    const remaining = nextCall(calls, 3);
    expect(remaining.options.hints).toEqual([{ x: 0.1, y: 0.1, color: '#4f7f2a', reach: 'medium' }]);
    await act(async () => remaining.resolve(resultNumber(3)));
    expect(shownImage(card)).toHaveAttribute('src', resultNumber(3).url);

    // Removing the last pin brings back the automatic result, without a request.
    await user.click(within(card).getByRole('button', { name: 'Remove pin 1' }));
    expect(within(card).queryAllByRole('button', { name: /^Pin / })).toHaveLength(0);
    expect(shownImage(card)).toHaveAttribute('src', expect.stringMatching(/^blob:/));
    expect(within(card).getByText('Automatic')).toBeInTheDocument();
    pause(RECOLORIZE_DELAY_MS * 2);
    expect(calls).toHaveLength(3);
  });

  it('clears all pins at once', async () => {
    const { user, card, calls } = await openFixColours();
    await user.click(within(card).getByRole('button', { name: 'Fix colours' }));
    for (const [x, y] of [
      [40, 40],
      [200, 150],
      [360, 260],
    ]) {
      await user.pointer({ keys: '[MouseLeft]', target: shownImage(card), coords: { clientX: x, clientY: y } });
    }
    expect(within(card).getAllByRole('button', { name: /^Pin / })).toHaveLength(3);
    const call = nextCall(calls, 2);
    expect(call.options.hints).toHaveLength(3);
    await user.click(within(card).getByRole('button', { name: 'Clear all pins' }));
    expect(within(card).queryAllByRole('button', { name: /^Pin / })).toHaveLength(0);
    expect(call.options.signal?.aborted).toBe(true);
  });

  it('says so, and keeps the last image, when re-colorizing fails', async () => {
    const { user, card, calls } = await openFixColours();
    await user.click(within(card).getByRole('button', { name: 'Fix colours' }));
    await user.pointer({ keys: '[MouseLeft]', target: shownImage(card), coords: { clientX: 100, clientY: 100 } });
    const call = nextCall(calls, 2);
    await act(async () => call.reject(new ApiError('rate_limited', 'slow down', 429)));
    expect(within(card).getByRole('alert')).toHaveTextContent(/colours could not be updated.*wait a minute/i);
    expect(shownImage(card)).toHaveAttribute('src', expect.stringMatching(/^blob:/));
  });
});

describe('vibrance', SLOW, () => {
  it('re-colorizes with the slider’s value, and Reset brings back the model’s colours', async () => {
    const { user, card, calls } = await openFixColours();
    const slider = within(card).getByRole('slider', { name: 'Vibrance' });
    expect(slider).toHaveValue('1');
    expect(slider).toHaveAttribute('aria-valuetext', '100%');

    fireEvent.change(slider, { target: { value: '1.5' } });
    expect(slider).toHaveAttribute('aria-valuetext', '150%');
    expect(within(card).getByText('150%', { selector: 'output' })).toBeInTheDocument();
    const call = nextCall(calls, 2);
    expect(call.options.vibrance).toBe(1.5);
    expect(call.options.hints).toEqual([]);
    await act(async () => call.resolve(resultNumber(2)));
    expect(shownImage(card)).toHaveAttribute('src', resultNumber(2).url);
    expect(within(card).getByRole('link', { name: 'Download PNG' })).toHaveAttribute(
      'href',
      resultNumber(2).downloadUrl,
    );
    expect(within(card).getByText('Adjusted: vibrance 150%')).toBeInTheDocument();

    await user.click(within(card).getByRole('button', { name: 'Reset vibrance' }));
    expect(slider).toHaveValue('1');
    expect(shownImage(card)).toHaveAttribute('src', expect.stringMatching(/^blob:/));
  });

  it('works for a model without hint support, which gets no "Fix colours"', async () => {
    const { card, calls } = await openFixColours({ model: { ...DEFAULT_MODEL, supportsHints: false, maxHints: 0 } });
    expect(within(card).queryByRole('button', { name: 'Fix colours' })).not.toBeInTheDocument();
    fireEvent.change(within(card).getByRole('slider', { name: 'Vibrance' }), { target: { value: '0' } });
    const call = nextCall(calls, 2);
    expect(call.options).toMatchObject({ vibrance: 0, hints: [] });
  });
});
