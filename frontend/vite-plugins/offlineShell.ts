/**
 * The offline shell: a service worker (sw.js at the app's root) written at build time
 * with the list of every file the build wrote, so a second visit starts without a
 * network. It keeps the app's files (index.html, scripts, styles, the worker and ONNX
 * Runtime's WebAssembly) when installed; the model itself is kept by the app in its own
 * cache (src/features/device/modelFile.ts) and never passes here, nor does the API.
 * Pages are asked from the network first (a new release shows at once), hashed files
 * from the cache first.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

import type { Plugin } from 'vite';

function serviceWorker(version: string, files: string[]): string {
  return `// Written by vite-plugins/offlineShell.ts at build time.
const CACHE = 'colorizer-shell-${version}';
const FILES = ${JSON.stringify(files)};
const scope = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((file) => new URL(file, scope).href))));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('colorizer-shell-') && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = (await cache.match(request, { ignoreSearch: true })) ?? (request.mode === 'navigate' ? await cache.match(new URL('./', scope).href) : undefined);
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const path = url.pathname.slice(scope.pathname.length);
  // The API stays live; the model has its own cache (features/device/modelFile.ts).
  if (path.startsWith('api/') || path.startsWith('model/')) return;
  event.respondWith(path.startsWith('assets/') ? cacheFirst(request) : networkFirst(request));
});
`;
}

export function offlineShell(): Plugin {
  let publicFiles: string[] = [];
  return {
    name: 'colorizer-offline-shell',
    apply: 'build',
    configResolved(config) {
      // public/ is copied as it is, outside the bundle.
      publicFiles = config.publicDir && fs.existsSync(config.publicDir) ? fs.readdirSync(config.publicDir) : [];
    },
    generateBundle(_options, bundle) {
      const files = [...Object.keys(bundle), ...publicFiles]
        // ONNX Runtime's WebGPU build (asyncify, 29 MB) is fetched only by devices with a GPU adapter:
        // kept when first used rather than on every install.
        .filter((file) => !file.endsWith('.map') && !file.startsWith('model/') && !file.includes('.asyncify'))
        .toSorted();
      const shell = ['./', ...files.filter((file) => file !== 'index.html')];
      const version = createHash('sha256').update(shell.join('\n')).digest('hex').slice(0, 12);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: serviceWorker(version, shell) });
    },
  };
}
