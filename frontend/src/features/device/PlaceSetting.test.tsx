/** The "Colorize on this device / on the server" setting, as a user meets it. */
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import type { DeviceState } from './deviceColorizer';
import type { ModelManifest } from './modelManifest';
import { PLACE_STORAGE_KEY } from './placement';
import { PlaceSetting } from './PlaceSetting';

const MANIFEST = { bytes: 11_923_172, name: 'tiny', version: '1' } as ModelManifest;

/** A device whose state the test moves on. */
function deviceIn(initial: DeviceState) {
  let state = initial;
  const listeners = new Set<() => void>();
  let prepared = 0;
  return {
    subscribe: (listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getState: () => state,
    prepare: () => {
      prepared += 1;
    },
    prepared: () => prepared,
    move(next: DeviceState) {
      state = next;
      act(() => listeners.forEach((listener) => listener()));
    },
  };
}

describe('PlaceSetting', () => {
  it('defaults to the device, loads the model with progress, and remembers a switch to the server', async () => {
    window.localStorage.removeItem(PLACE_STORAGE_KEY);
    const device = deviceIn({ kind: 'available', manifest: MANIFEST });
    render(<PlaceSetting device={device} hasServer />);
    expect(screen.getByRole('radio', { name: 'On this device' })).toBeChecked();
    expect(screen.getByText(/Your photos never leave this device/)).toHaveTextContent('12 MB');
    expect(device.prepared()).toBe(1);

    device.move({ kind: 'downloading', manifest: MANIFEST, loaded: 5_961_586, total: 11_923_172 });
    expect(screen.getByText('Getting the colorizer ready on this device, 12 MB (50%)…')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('radio', { name: 'On the server' }));
    expect(screen.getByRole('radio', { name: 'On the server' })).toBeChecked();
    expect(screen.getByText(/Photos are uploaded to this site's server/)).toBeInTheDocument();
    expect(window.localStorage.getItem(PLACE_STORAGE_KEY)).toBe('server');
    window.localStorage.removeItem(PLACE_STORAGE_KEY);
  });

  it('says why the device cannot colorize, and keeps the server', () => {
    const device = deviceIn({ kind: 'unsupported', reason: 'This browser cannot run the colorizer itself.' });
    render(<PlaceSetting device={device} hasServer />);
    expect(screen.getByRole('radio', { name: 'On this device' })).toBeDisabled();
    expect(screen.getByRole('radio', { name: 'On the server' })).toBeChecked();
    expect(screen.getByText(/not possible here\. This browser cannot run the colorizer itself\./)).toBeInTheDocument();
  });

  it('offers the device only in the static build', () => {
    render(<PlaceSetting device={deviceIn({ kind: 'available', manifest: MANIFEST })} hasServer={false} />);
    expect(screen.queryByRole('radio', { name: 'On the server' })).not.toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'On this device' })).toBeChecked();
  });
});
