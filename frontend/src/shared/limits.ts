import { createContext, useContext } from 'react';

import type { GatewayInfo, ModelInfo } from '../api/colorizer';

/**
 * What the server accepts and how long it keeps results, as the API says it
 * (GET /api/v1/model, GET /api/health): the app keeps no copy of these numbers.
 * Each is null until the server has told it (loading, or unreachable): the app
 * then checks less before an upload and says less, and the server's own answer
 * (a clear error code) decides.
 */
export interface Limits {
  maxUploadBytes: number | null;
  maxPixels: number | null;
  renderSizeMin: number | null;
  renderSizeMax: number | null;
  formatNames: string[] | null;
  mediaTypes: string[] | null;
  extensions: string[] | null;
  vibranceMin: number | null;
  vibranceMax: number | null;
  vibranceDefault: number | null;
  resultTtlS: number | null;
}

export const UNKNOWN_LIMITS: Limits = {
  maxUploadBytes: null,
  maxPixels: null,
  renderSizeMin: null,
  renderSizeMax: null,
  formatNames: null,
  mediaTypes: null,
  extensions: null,
  vibranceMin: null,
  vibranceMax: null,
  vibranceDefault: null,
  resultTtlS: null,
};

/** The limits from what has arrived so far (either answer may be missing). */
export function combineLimits(model: ModelInfo | null, gateway: GatewayInfo | null): Limits {
  const service = model?.limits ?? null;
  return {
    maxUploadBytes: service?.maxUploadBytes ?? gateway?.maxUploadBytes ?? null,
    maxPixels: service?.maxPixels ?? null,
    renderSizeMin: service?.renderSizeMin ?? null,
    renderSizeMax: service?.renderSizeMax ?? null,
    formatNames: service?.formatNames ?? null,
    mediaTypes: service?.mediaTypes ?? null,
    extensions: service?.extensions ?? null,
    vibranceMin: service?.vibranceMin ?? null,
    vibranceMax: service?.vibranceMax ?? null,
    vibranceDefault: service?.vibranceDefault ?? null,
    resultTtlS: gateway?.resultTtlS ?? null,
  };
}

export const LimitsContext = createContext<Limits>(UNKNOWN_LIMITS);

export function useLimits(): Limits {
  return useContext(LimitsContext);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

const plural = (count: number, unit: string) => (count === 1 ? `one ${unit}` : `${count} ${unit}s`);

/** 3600 -> "one hour", 5400 -> "90 minutes", 86400 -> "24 hours". */
export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  if (seconds >= 60) return plural(Math.round(seconds / 60), 'minute');
  return plural(seconds, 'second');
}

/** "results are kept for one hour", or a vaguer phrase while the gateway has not said. */
export function keptForText(limits: Limits): string {
  return limits.resultTtlS ? `for ${formatDuration(limits.resultTtlS)}` : 'for a limited time';
}

// People know these names better than Pillow's.
const FORMAT_LABELS: Record<string, string> = { JPEG: 'JPEG', WEBP: 'WebP', TIFF: 'TIFF', AVIF: 'AVIF' };

/** "JPEG, PNG, WebP, TIFF, BMP or GIF" (null while unknown). */
export function formatsText(limits: Limits): string | null {
  if (!limits.formatNames?.length) return null;
  const names = limits.formatNames.map((name) => FORMAT_LABELS[name] ?? name);
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** For the file picker's `accept` attribute: any image while the formats are unknown. */
export function acceptAttribute(limits: Limits): string {
  if (!limits.mediaTypes || !limits.extensions) return 'image/*';
  return [...limits.mediaTypes, ...limits.extensions].join(',');
}

// Render sizes worth offering (each a noticeable step in speed and detail), kept to the service's range.
const RENDER_SIZE_STEPS = [256, 384, 512, 768, 1024, 1536, 2048];

/** The render sizes to choose from: none while the service's range is unknown (the model's default is used). */
export function renderSizeChoices(limits: Limits): number[] {
  const { renderSizeMin: min, renderSizeMax: max } = limits;
  if (min === null || max === null) return [];
  const sizes = RENDER_SIZE_STEPS.filter((size) => size >= min && size <= max);
  if (!sizes.includes(max)) sizes.push(max);
  return sizes;
}
