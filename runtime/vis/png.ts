/**
 * Raw pixels to PNG files, through sharp (libvips). The figures in this project are built as plain byte arrays
 * (row-major, channels interleaved, HWC) and handed here to be encoded and written atomically.
 */
import sharp from 'sharp';
import { writeFileAtomic } from './write_atomic';

/** Channels a PNG written here may have: grey, RGB or RGBA. */
export type PngChannels = 1 | 3 | 4;

/**
 * Encodes raw pixels as a PNG.
 *
 * pixels: Uint8Array of length height * width * channels, row-major HWC.
 * width, height: image size in pixels; channels: 1 (grey), 3 (RGB) or 4 (RGBA).
 * Returns the PNG file's bytes.
 */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: PngChannels): Promise<Buffer> {
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`encodePng: width and height must be positive integers, got ${width}x${height}`);
  }
  if (![1, 3, 4].includes(channels)) throw new Error(`encodePng: channels must be 1, 3 or 4, got ${channels}`);
  if (pixels.length !== width * height * channels) {
    throw new Error(
      `encodePng: pixels must have length height*width*channels = ${height}*${width}*${channels} = ` +
        `${height * width * channels}, got ${pixels.length}`,
    );
  }
  const image = sharp(pixels, { raw: { width, height, channels } });
  // sharp treats one raw channel as sRGB and would write three; 'b-w' keeps a one-channel greyscale PNG.
  return (channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
}

/** Encodes raw HWC pixels (as encodePng) and writes the PNG atomically to filePath. Returns the absolute path. */
export async function writePng(
  filePath: string,
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: PngChannels,
): Promise<string> {
  return writeFileAtomic(filePath, await encodePng(pixels, width, height, channels));
}
