// Many photos, nothing lost on reload, undo, colour photos, cancel and retry: used as a
// person uses them, with the network stand-in (src/test/fakeApi.ts) and the photos kept in
// memory instead of IndexedDB (the e2e specs use the real one in Chromium).
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import App from '../../App';
import { memoryKept } from '../../shared/keptInBrowser';
import { createFakeApi, imageFile, resultFor } from '../../test/fakeApi';
import type { KeptPhoto } from './keptPhotos';
import { GRID_FROM } from './PhotoList';

const BOX = { x: 0, y: 0, left: 0, top: 0, width: 400, height: 300, right: 400, bottom: 300 };

beforeEach(() => {
  vi.spyOn(HTMLImageElement.prototype, 'getBoundingClientRect').mockReturnValue({
    ...BOX,
    toJSON: () => BOX,
  } as DOMRect);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function setup(kept = memoryKept<KeptPhoto>()) {
  const fake = createFakeApi();
  const user = userEvent.setup({ applyAccept: false });
  const view = render(<App api={fake.api} photoKeeper={kept} />);
  return { ...fake, user, kept, view };
}

const card = (name: string) => screen.getByRole('article', { name });
const SLOW = { timeout: 20_000 };

describe('kept in the browser', SLOW, () => {
  it('brings back photos, results and pins after a reload, without asking the server again', async () => {
    const first = setup();
    await screen.findByText('colorizer-default');
    await first.user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('porch.jpg'));
    await act(async () => first.calls[0].resolve(resultFor('porch.jpg')));
    await first.user.click(within(card('porch.jpg')).getByRole('button', { name: 'Fix colours' }));
    fireEvent.click(within(card('porch.jpg')).getByRole('img', { name: 'Colorized: porch.jpg' }).parentElement!, {
      clientX: 100,
      clientY: 150,
    });
    await waitFor(() => expect(first.calls).toHaveLength(2));
    expect(first.calls[1].options.hints).toEqual([{ x: 0.25, y: 0.5, color: '#808080', reach: 'medium' }]);
    await act(async () => first.calls[1].resolve(resultFor('porch.jpg', { id: 'B'.repeat(24) })));
    await waitFor(() => expect(first.kept.map.size).toBe(1));
    await waitFor(() => expect([...first.kept.map.values()][0].steered).not.toBeNull());
    first.view.unmount();

    const second = setup(first.kept);
    const back = await screen.findByRole('article', { name: 'porch.jpg' });
    expect(within(back).getByText('Adjusted: 1 pin')).toBeInTheDocument();
    expect(within(back).getByRole('img', { name: 'Colorized: porch.jpg' }).getAttribute('src')).toMatch(/^blob:/);
    await second.user.click(within(back).getByRole('button', { name: 'Fix colours' }));
    expect(within(back).getByText('1 of 64 pins')).toBeInTheDocument();
    expect(second.calls).toHaveLength(0); // the result and the pinned image were both kept
    expect(screen.getByText(/Kept in this browser until you remove them: 1 photo,/)).toBeInTheDocument();
  });

  it('Remove all empties the page and the store', async () => {
    const { user, calls, kept } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), [imageFile('a.jpg'), imageFile('b.jpg')]);
    await act(async () => calls[0].resolve(resultFor('a.jpg')));
    await waitFor(() => expect(kept.map.size).toBe(2));
    await user.click(screen.getByRole('button', { name: 'Remove all' }));
    expect(screen.queryAllByRole('article')).toHaveLength(0);
    await waitFor(() => expect(kept.map.size).toBe(0));
  });
});

describe('undo and show automatic', SLOW, () => {
  it('takes back a pin and puts it back, with the buttons and with Ctrl+Z / Ctrl+Shift+Z', async () => {
    const { user, calls } = setup();
    await screen.findByText('colorizer-default');
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('dress.jpg'));
    await act(async () => calls[0].resolve(resultFor('dress.jpg')));
    const item = card('dress.jpg');
    await user.click(within(item).getByRole('button', { name: 'Fix colours' }));
    expect(within(item).getByRole('button', { name: 'Undo' })).toBeDisabled();
    fireEvent.click(within(item).getByRole('img', { name: 'Colorized: dress.jpg' }).parentElement!, {
      clientX: 200,
      clientY: 150,
    });
    expect(within(item).getByText('1 of 64 pins')).toBeInTheDocument();

    await user.click(within(item).getByRole('button', { name: 'Undo' }));
    expect(within(item).getByText('No pins yet: the colours are the model’s own.')).toBeInTheDocument();
    await user.click(within(item).getByRole('button', { name: 'Redo' }));
    expect(within(item).getByText('1 of 64 pins')).toBeInTheDocument();

    // Clicking the photo focuses nothing: the keys still speak to the result last used.
    fireEvent.pointerDown(within(item).getByRole('img', { name: 'Colorized: dress.jpg' }));
    (document.activeElement as HTMLElement | null)?.blur();
    await user.keyboard('{Control>}z{/Control}');
    expect(within(item).getByText('No pins yet: the colours are the model’s own.')).toBeInTheDocument();
    await user.keyboard('{Control>}{Shift>}z{/Shift}{/Control}');
    expect(within(item).getByText('1 of 64 pins')).toBeInTheDocument();
  });

  it('shows the automatic colours while "Show automatic" is held', async () => {
    const { user, calls } = setup();
    await screen.findByText('colorizer-default');
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('wall.jpg'));
    await act(async () => calls[0].resolve(resultFor('wall.jpg')));
    const item = card('wall.jpg');
    const automatic = within(item).getByRole('img', { name: 'Colorized: wall.jpg' }).getAttribute('src');
    fireEvent.change(within(item).getByLabelText('Vibrance'), { target: { value: '1.5' } });
    await waitFor(() => expect(calls).toHaveLength(2));
    await act(async () => calls[1].resolve(resultFor('wall.jpg', { id: 'C'.repeat(24), url: '/api/images/vivid' })));
    const shown = () => within(item).getByRole('img', { name: 'Colorized: wall.jpg' }).getAttribute('src');
    expect(shown()).toBe('/api/images/vivid');
    const hold = within(item).getByRole('button', { name: 'Show automatic (hold)' });
    fireEvent.pointerDown(hold);
    expect(shown()).toBe(automatic);
    fireEvent.pointerUp(hold);
    expect(shown()).toBe('/api/images/vivid');
  });
});

describe('many photos', SLOW, () => {
  it(`becomes a grid from ${GRID_FROM} photos; a card opens to the full view; several can be selected and removed`, async () => {
    const { user, calls } = setup();
    const names = ['1.jpg', '2.jpg', '3.jpg', '4.jpg', '5.jpg'];
    await user.upload(
      screen.getByLabelText('Choose photos or videos'),
      names.map((name) => imageFile(name)),
    );
    await act(async () => calls[0].resolve(resultFor('1.jpg')));
    expect(screen.queryAllByRole('article')).toHaveLength(0); // tiles, not full cards
    expect(screen.getByRole('button', { name: 'Download all (1) as ZIP' })).toBeEnabled();

    await user.click(screen.getByRole('button', { name: 'Open 1.jpg' }));
    expect(within(card('1.jpg')).getByRole('img', { name: 'Colorized: 1.jpg' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: '← Back to all photos' }));

    await user.click(screen.getByRole('checkbox', { name: 'Select 2.jpg' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select 3.jpg' }));
    expect(screen.getByRole('button', { name: 'Download selected (2)' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remove selected (2)' }));
    expect(screen.queryByRole('button', { name: 'Open 2.jpg' })).not.toBeInTheDocument();
    // Fewer than GRID_FROM: full cards again.
    expect(screen.getAllByRole('article')).toHaveLength(3);
  });
});

describe('colour photos, cancel and retry', SLOW, () => {
  it('asks whether to keep a colour photo as it is, and then offers the original', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('tarp.jpg'));
    await act(async () => calls[0].resolve(resultFor('tarp.jpg', { inputInColour: true })));
    const item = card('tarp.jpg');
    expect(within(item).getByText('This photo is already in colour.')).toBeInTheDocument();
    await user.click(within(item).getByRole('button', { name: 'Keep its colours' }));
    expect(within(item).getByRole('link', { name: 'Download the original' })).toHaveAttribute('download', 'tarp.jpg');
    await user.click(within(item).getByRole('button', { name: 'Colorize from the gray' }));
    expect(within(item).getByRole('img', { name: 'Colorized: tarp.jpg' })).toBeInTheDocument();
  });

  it('cancels a photo on its way, and Retry sends it again', async () => {
    const { user, calls } = setup();
    await user.upload(screen.getByLabelText('Choose photos or videos'), imageFile('big.jpg'));
    await user.click(within(card('big.jpg')).getByRole('button', { name: 'Cancel' }));
    expect(calls[0].options.signal?.aborted).toBe(true);
    expect(within(card('big.jpg')).getByText('Cancelled.')).toBeInTheDocument();
    await user.click(within(card('big.jpg')).getByRole('button', { name: 'Retry' }));
    expect(calls).toHaveLength(2);
  });

  it('opens the file picker with Enter as well as Space', async () => {
    const { user } = setup();
    const input = screen.getByLabelText('Choose photos or videos');
    const opened = vi.spyOn(input, 'click');
    input.focus();
    await user.keyboard('{Enter}');
    expect(opened).toHaveBeenCalled();
  });
});
