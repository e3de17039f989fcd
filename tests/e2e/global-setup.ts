/**
 * Test images made from photos that ship with scikit-image (already in the
 * project's venv): a grayscale JPEG of a cat (451 x 300) and one of a coffee cup, and
 * the coffee cup in colour.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_ROOT } from './stack';

const SCRIPT = `
import json, sys
from PIL import Image
from skimage import data
out = {}
for name, photo, mode in [
    ("chelsea-gray.jpg", data.chelsea(), "L"),
    ("coffee-gray.jpg", data.coffee(), "L"),
    ("coffee-colour.jpg", data.coffee(), "RGB"),  # already in colour: the app asks what to do
]:
    path = f"{sys.argv[1]}/{name}"
    image = Image.fromarray(photo).convert(mode)
    image.save(path, quality=92)
    out[name] = {"path": path, "width": image.width, "height": image.height}
print(json.dumps(out))
`;

export default function globalSetup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colorizer-e2e-fixtures-'));
  const python = path.join(process.env.COLORIZER_VENV ?? path.join(REPO_ROOT, '.venv'), 'bin', 'python');
  const output = execFileSync(python, ['-c', SCRIPT, dir], { cwd: REPO_ROOT, encoding: 'utf8' });
  // Tests read the fixtures from here (workers inherit the environment).
  process.env.E2E_FIXTURES = output.trim();
}
