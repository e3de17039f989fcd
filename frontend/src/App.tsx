import { useEffect, useMemo } from 'react';

import { apiKeyStore } from './api/apiKey';
import { colorizerApi, type ColorizerApi } from './api/colorizer';
import { videoApi as defaultVideoApi, type VideoApi } from './api/videos';
import { ApiKeyForm } from './features/apiKey/ApiKeyForm';
import { useApiKey } from './features/apiKey/useApiKey';
import { DropZone } from './features/colorize/DropZone';
import { deviceColorizer, HAS_SERVER } from './features/device/deviceApi';
import { keepBatchOnServer } from './features/device/deviceRouting';
import { PlaceSetting } from './features/device/PlaceSetting';
import { combineLimits, keptForText, LimitsContext } from './shared/limits';
import { useKeptSetting } from './shared/useKeptSetting';
import { ModelBadge } from './features/colorize/ModelBadge';
import { DetailSetting } from './features/colorize/DetailSetting';
import { keptPhotos, type PhotoKeeper } from './features/colorize/keptPhotos';
import { PhotoList } from './features/colorize/PhotoList';
import { useColorizeQueue } from './features/colorize/useColorizeQueue';
import { useGatewayInfo } from './features/colorize/useGatewayInfo';
import { useModelInfo } from './features/colorize/useModelInfo';
import { keptFilmSettings, type FilmSettings } from './features/video/filmKeyframes';
import { keptFilms, useVideoJobs } from './features/video/useVideoJobs';
import type { Kept } from './shared/keptInBrowser';
import { VideoCard } from './features/video/VideoCard';
import { isVideoFile } from './shared/fileKinds';

interface AppProps {
  /** The network layer; tests hand in a stand-in with the same shape. */
  api?: ColorizerApi;
  /** The video jobs' network layer (api/videos.ts); tests hand in a stand-in. */
  videoApi?: VideoApi;
  /** Where photos, results and pins are kept across reloads (IndexedDB); tests hand in one in memory. */
  photoKeeper?: PhotoKeeper;
  /** Where the films' keyframes and vibrance are kept across reloads (IndexedDB); tests hand in one in memory. */
  filmSettings?: Kept<FilmSettings>;
}

export default function App({
  api = colorizerApi,
  videoApi = defaultVideoApi,
  photoKeeper = keptPhotos,
  filmSettings = keptFilmSettings,
}: AppProps) {
  const [renderSize, setRenderSize] = useKeptSetting('detail', '');
  const gatewayInfo = useGatewayInfo(api);
  const apiKey = useApiKey();
  // GATEWAY_AUTH=keys: nothing but health works without a key, so the app asks for one first.
  const keysMode = gatewayInfo?.auth === 'keys';
  const needsKey = keysMode && !apiKey.key;
  // A new key: a new api object, so the model is asked for again (with the key: api/apiKey.ts).
  const modelApi = useMemo(() => ({ ...api, keyInUse: apiKey.key }), [api, apiKey.key]);
  const modelState = useModelInfo(modelApi);
  // The limits, formats and result lifetime, as the API states them (limits.ts).
  const model = modelState.kind === 'ready' ? modelState.model : null;
  const limits = useMemo(() => combineLimits(model, gatewayInfo), [model, gatewayInfo]);
  const queue = useColorizeQueue(api, renderSize ? Number(renderSize) : undefined, limits, photoKeeper);
  const { items, addFiles: addPhotos, clearFinished } = queue;
  const videoJobs = useVideoJobs(videoApi, renderSize ? Number(renderSize) : undefined, keptFilms, filmSettings);
  const { videos, addVideos } = videoJobs;
  // Films become video jobs; everything else goes to the photo queue (which says what it cannot take).
  const addFiles = useMemo(
    () => (files: File[]) => {
      const films = files.filter(isVideoFile);
      if (films.length) addVideos(films);
      const photos = files.filter((file) => !isVideoFile(file));
      keepBatchOnServer(photos);
      if (photos.length) addPhotos(photos);
    },
    [addPhotos, addVideos],
  );
  // "Fix colours" (photos, and films' keyframes) only where the model takes hints; vibrance works with every model.
  const maxHints = modelState.kind === 'ready' && modelState.model.supportsHints ? modelState.model.maxHints : 0;
  const finished = items.filter(
    (item) => item.status === 'done' || item.status === 'failed' || item.status === 'rejected',
  ).length;

  // Pasting an image anywhere on the page adds it to the queue.
  useEffect(() => {
    function onPaste(event: ClipboardEvent) {
      const files = Array.from(event.clipboardData?.files ?? []);
      if (files.length) {
        event.preventDefault();
        addFiles(files);
      }
    }
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [addFiles]);

  return (
    <LimitsContext value={limits}>
      <div className="app">
        <header className="app__header">
          <div className="brand">
            <img className="brand__logo" src="/favicon.svg" alt="" width="40" height="40" />
            <div>
              <h1 className="brand__name">
                <span className="brand__gray">Color</span>
                <span className="brand__color">ize</span>
              </h1>
              <p className="brand__tagline">Bring black-and-white photos to life.</p>
            </div>
          </div>
          <ModelBadge state={modelState} />
        </header>

        <main className="app__main">
          {needsKey && <ApiKeyForm refusedCode={apiKey.refusedCode} />}
          {!needsKey && <DropZone onFiles={addFiles} compact={items.length + videos.length > 0} />}

          <PlaceSetting device={deviceColorizer} hasServer={HAS_SERVER} />

          <div className="toolbar">
            <DetailSetting value={renderSize} onChange={setRenderSize} modelSize={model?.renderSize ?? null} />
            {keysMode && apiKey.key && (
              <button type="button" className="button button--quiet" onClick={() => apiKeyStore.use('')}>
                Use another API key
              </button>
            )}
            {finished > 0 && (
              <button type="button" className="button button--quiet" onClick={clearFinished}>
                Clear finished
              </button>
            )}
          </div>

          {videos.length > 0 && (
            <section aria-labelledby="videos-title">
              <h2 id="videos-title" className="section-title">
                Your videos <span className="section-title__count">{videos.length}</span>
              </h2>
              <ol className="queue">
                {videos.map((video) => (
                  <VideoCard
                    key={video.key}
                    item={video}
                    api={videoApi}
                    colorizer={api}
                    renderSize={renderSize ? Number(renderSize) : undefined}
                    maxPins={maxHints}
                    onCancel={videoJobs.cancel}
                    onRemove={videoJobs.remove}
                    onRetry={videoJobs.retry}
                    steer={videoJobs.steer}
                  />
                ))}
              </ol>
            </section>
          )}

          {items.length > 0 ? (
            <PhotoList queue={queue} api={api} maxHints={maxHints} />
          ) : (
            videos.length === 0 && (
              <p className="empty-hint">
                Your colorized photos will appear here. Colours are the model&apos;s best guess from light and shape,
                not a record of the past.
              </p>
            )
          )}
        </main>

        <footer className="app__footer">
          Results are kept on the server {keptForText(limits)}, then deleted. Programmatic access:{' '}
          <code>POST /api/v1/colorize</code> (<a href="/api/docs">API reference</a>).
        </footer>
      </div>
    </LimitsContext>
  );
}
