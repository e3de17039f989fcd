import { useEffect, useId, useSyncExternalStore } from 'react';

import { isUsable, type DeviceColorizer, type DeviceState } from './deviceColorizer';
import { DEVICE_BATCH_LIMIT } from './deviceRouting';
import { placeInForce, placeStore, type Place } from './placement';
import './device.css';

const PLACES: { value: Place; label: string }[] = [
  { value: 'device', label: 'On this device' },
  { value: 'server', label: 'On the server' },
];

const megabytes = (bytes: number) => `${Math.round(bytes / 1_000_000)} MB`;

function explanation(place: Place, state: DeviceState): string {
  if (place === 'server') {
    return `Photos are uploaded to this site's server, colorized there and deleted after a while. Quick on any device. Films and batches of more than ${DEVICE_BATCH_LIMIT} photos always go to the server.`;
  }
  const size = 'manifest' in state ? ` (${megabytes(state.manifest.bytes)}, once)` : '';
  return `Your photos never leave this device: nothing is uploaded. The colorizer is downloaded to this browser${size}; each photo then takes a few seconds, more on a slow device.`;
}

function statusText(state: DeviceState): string | null {
  switch (state.kind) {
    case 'unsupported':
    case 'unavailable':
      return `Colorizing on this device is not possible here. ${state.reason}`;
    case 'failed':
      return `The colorizer could not start on this device. ${state.reason}`;
    case 'downloading':
      return `Getting the colorizer ready on this device, ${megabytes(state.total)} (${Math.floor((100 * state.loaded) / state.total)}%)…`;
    case 'ready': {
      const engine =
        state.backend === 'webgpu'
          ? 'graphics card'
          : `processor, ${state.threads} thread${state.threads === 1 ? '' : 's'}`;
      return `Ready on this device (${engine}).`;
    }
    default:
      return null;
  }
}

/**
 * "Colorize on this device / on the server", with what each means for privacy and
 * speed, and the device's progress. `hasServer` false (the static build): the device only.
 */
export function PlaceSetting({
  device,
  hasServer,
}: {
  device: Pick<DeviceColorizer, 'subscribe' | 'getState' | 'prepare'>;
  hasServer: boolean;
}) {
  const state = useSyncExternalStore(device.subscribe, device.getState);
  const choice = useSyncExternalStore(placeStore.subscribe, placeStore.getChoice);
  const usable = isUsable(state);
  const place = hasServer ? placeInForce(choice, usable) : 'device';
  const name = useId();

  // The device in force: load the model now, so it is ready when the first photo comes.
  useEffect(() => {
    if (place === 'device' && state.kind === 'available') device.prepare();
  }, [device, place, state.kind]);

  const status = statusText(state);
  return (
    <fieldset className="place">
      <legend className="place__legend">Colorize</legend>
      <div className="place__choices">
        {PLACES.filter(({ value }) => hasServer || value === 'device').map(({ value, label }) => (
          <label key={value} className="place__choice">
            <input
              type="radio"
              name={name}
              value={value}
              checked={place === value}
              disabled={value === 'device' && !usable}
              onChange={() => placeStore.choose(value)}
            />
            {label}
          </label>
        ))}
      </div>
      <p className="place__explanation">{explanation(place, state)}</p>
      {status && (
        <p className="place__status" role="status">
          {status}
        </p>
      )}
    </fieldset>
  );
}
