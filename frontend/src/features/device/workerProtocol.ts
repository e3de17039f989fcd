/** The messages between the page (deviceColorizer.ts) and the colorizing worker (colorize.worker.ts). */
import type { DeviceHint } from './hints';
import type { ModelManifest } from './modelManifest';

export type ToWorker =
  | { type: 'prepare'; appRoot: string }
  | {
      type: 'colorize';
      id: number;
      file: Blob;
      renderSize?: number;
      hints?: DeviceHint[];
      vibrance?: number;
    };

export type FromWorker =
  | { type: 'manifest'; manifest: ModelManifest }
  | { type: 'progress'; loaded: number; total: number }
  | { type: 'ready'; backend: string; threads: number; fromCache: boolean; loadMs: number }
  | { type: 'failed'; code: string; message: string }
  | {
      type: 'done';
      id: number;
      blob: Blob;
      width: number;
      height: number;
      /** The photo had colour already (some pixel with R, G and B not all equal). */
      inputInColour: boolean;
      networkMs: number;
      totalMs: number;
    }
  | { type: 'error'; id: number; code: string; message: string };
