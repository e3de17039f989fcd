// @vitest-environment node
// The frontend's layering rule (.dependency-cruiser.cjs, run by `npm run lint` at the
// repository root): the real tree passes, and a deliberate bad import of each kind fails.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const FRONTEND = resolve(__dirname, '..');
const CONFIG = join(FRONTEND, '.dependency-cruiser.cjs');
// dependency-cruiser is one of the repository root's lint tools (package.json there).
const DEPCRUISE = resolve(FRONTEND, '../node_modules/.bin/depcruise');

/** Runs the rule over `root`/src: its exit status and report. */
function cruise(root: string): { status: number; report: string } {
  try {
    const report = execFileSync(DEPCRUISE, ['src', '--config', CONFIG], { cwd: root, encoding: 'utf8' });
    return { status: 0, report };
  } catch (err) {
    const failed = err as { status: number; stdout: string };
    return { status: failed.status, report: failed.stdout };
  }
}

let scratch: string | null = null;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
});

/** A copy of src/ with more files: path (under src/) -> source. */
function treeWith(files: Record<string, string>): string {
  scratch = mkdtempSync(join(tmpdir(), 'layers-'));
  cpSync(join(FRONTEND, 'src'), join(scratch, 'src'), { recursive: true });
  for (const [path, source] of Object.entries(files)) {
    const file = join(scratch, 'src', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, source);
  }
  return scratch;
}

// Each deliberate bad import, and the rule that must name it.
const BAD_IMPORTS = [
  ['features/colorize/bad.ts', "export { VideoCard } from '../video/VideoCard';", 'feature-imports-another-feature'],
  ['features/video/bad.ts', "export { QueueCard } from '../colorize/QueueCard';", 'feature-imports-another-feature'],
  ['shared/bad.ts', "export { QueueCard } from '../features/colorize/QueueCard';", 'shared-imports-a-feature'],
  ['features/apiKey/bad.ts', "export { default } from '../../App';", 'imports-the-app'],
] as const;

describe('frontend layers', () => {
  it('hold in the real tree', () => {
    const { status, report } = cruise(FRONTEND);
    expect(report).toContain('no dependency violations found');
    expect(status).toBe(0);
  });

  it('refuse a feature importing another feature or the app, and shared code importing a feature', () => {
    const { status, report } = cruise(
      treeWith(Object.fromEntries(BAD_IMPORTS.map(([path, source]) => [path, source]))),
    );
    expect(status).not.toBe(0);
    for (const [path, , rule] of BAD_IMPORTS) expect(report).toContain(`${rule}: src/${path}`);
    expect(report).toContain(`${BAD_IMPORTS.length} dependency violations`);
  });
});
