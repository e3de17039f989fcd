import { useId, useState } from 'react';

import type { ColorizeResult, ColorizerApi } from '../../api/colorizer';
import { downloadName } from '../../shared/downloadNames';
import { convertImage, saveBlob } from './convertImage';

type Format = 'png' | 'jpeg';

const FORMATS: Record<Format, { label: string; mime: 'image/png' | 'image/jpeg'; extension: string }> = {
  png: { label: 'PNG (best quality)', mime: 'image/png', extension: 'png' },
  jpeg: { label: 'JPEG (smaller file)', mime: 'image/jpeg', extension: 'jpg' },
};

interface DownloadControlsProps {
  result: ColorizeResult;
  api: ColorizerApi;
  /** The upload's name: downloads are named after it, whole words kept. */
  originalName: string;
}

/**
 * Download in the format the user picks. The stored format is a plain link to
 * the gateway's attachment URL; the other one is converted in the browser.
 */
export function DownloadControls({ result, api, originalName }: DownloadControlsProps) {
  const [format, setFormat] = useState<Format>(result.contentType === 'image/jpeg' ? 'jpeg' : 'png');
  const [converting, setConverting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const selectId = useId();
  const chosen = FORMATS[format];
  const filename = downloadName(originalName, chosen.extension);

  async function convertAndSave() {
    setConverting(true);
    setProblem(null);
    try {
      const original = await api.fetchImageBlob(result.url);
      saveBlob(await convertImage(original, chosen.mime), filename);
    } catch {
      setProblem('The image could not be converted here. Download the PNG instead.');
    } finally {
      setConverting(false);
    }
  }

  return (
    <div className="download">
      <div className="download__format">
        <label htmlFor={selectId}>Format</label>
        <select id={selectId} value={format} onChange={(event) => setFormat(event.target.value as Format)}>
          {(Object.keys(FORMATS) as Format[]).map((key) => (
            <option key={key} value={key}>
              {FORMATS[key].label}
            </option>
          ))}
        </select>
      </div>
      {chosen.mime === result.contentType ? (
        <a className="button button--primary" href={result.downloadUrl} download={filename}>
          <DownloadIcon /> Download {format.toUpperCase()}
        </a>
      ) : (
        <button type="button" className="button button--primary" onClick={convertAndSave} disabled={converting}>
          <DownloadIcon /> {converting ? 'Preparing…' : `Download ${format.toUpperCase()}`}
        </button>
      )}
      {problem && (
        <p className="download__problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

function DownloadIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        d="M12 3v12m0 0-5-5m5 5 5-5M5 21h14"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
