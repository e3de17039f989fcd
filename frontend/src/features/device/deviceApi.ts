/**
 * The app's colorizer: photos on the device or on the server (deviceRouting.ts), and
 * the offline shell (the service worker the build writes: vite-plugins/offlineShell.ts).
 */
import { colorizerApi, type ColorizerApi, type GatewayInfo } from '../../api/colorizer';
import { DeviceColorizer } from './deviceColorizer';
import { withDevice } from './deviceRouting';

/** False in the static build (`npm run build:static`): no gateway, no API, the device only. */
export const HAS_SERVER = import.meta.env.MODE !== 'static';

export const deviceColorizer = new DeviceColorizer(new URL(import.meta.env.BASE_URL, document.baseURI).href);

const NO_GATEWAY: GatewayInfo = { resultTtlS: null, maxUploadBytes: null, auth: 'off' };

const serverApi: ColorizerApi = HAS_SERVER
  ? colorizerApi
  : { ...colorizerApi, fetchGatewayInfo: async () => NO_GATEWAY };

export const deviceAwareApi: ColorizerApi = withDevice(serverApi, deviceColorizer, HAS_SERVER);

/** Let a second visit start without a network: the built app's files are kept by a service worker. */
export function registerOfflineShell(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator) || deviceColorizer.getState().kind === 'unsupported')
    return;
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch(() => {
    // Without it the app still works online; only the offline start is lost.
  });
}
