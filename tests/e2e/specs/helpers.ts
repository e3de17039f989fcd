import fs from 'node:fs'

import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'

export interface Fixture {
  path: string
  width: number
  height: number
}

export function fixture(name: 'chelsea-gray.jpg' | 'coffee-gray.jpg'): Fixture {
  const all = JSON.parse(process.env.E2E_FIXTURES ?? '{}') as Record<string, Fixture>
  if (!all[name]) throw new Error(`fixture ${name} missing: did global-setup run?`)
  return all[name]
}

export interface DecodedImage {
  width: number
  height: number
  /** RGBA, 4 bytes per pixel. */
  data: Uint8Array
}

export function readPng(file: string): DecodedImage {
  const png = PNG.sync.read(fs.readFileSync(file))
  return { width: png.width, height: png.height, data: png.data }
}

export function readJpeg(file: string): DecodedImage {
  const image = jpeg.decode(fs.readFileSync(file), { useTArray: true })
  return { width: image.width, height: image.height, data: image.data }
}

/** Share of pixels that are not gray (R != G or G != B). */
export function colourfulShare({ data }: DecodedImage): number {
  let colourful = 0
  const pixels = data.length / 4
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) colourful += 1
  }
  return colourful / pixels
}
