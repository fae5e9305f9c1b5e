/**
 * Histogram of oriented gradients, exactly as the course's `hog_feature` in `features.py` computes it (a
 * simplified HOG: no block normalisation, no interpolation between bins). What it captures and the quirks of the
 * course's version that we keep on purpose are in docs/hog.md.
 *
 * Steps, for an RGB image of H x W pixels:
 *  1. Greyscale with the course's weights 0.299 R + 0.587 G + 0.144 B (0.144, not the usual 0.114: the course's
 *     rgb2gray has it so, and the features must match its numbers).
 *  2. Forward differences: gx[r, c] = g[r, c+1] - g[r, c] (0 in the last column), gy[r, c] = g[r+1, c] - g[r, c]
 *     (0 in the last row), as `np.diff` fills gx[:, :-1] and gy[:-1, :].
 *  3. Magnitude sqrt(gx^2 + gy^2); orientation atan2(gy, gx + 1e-15) in degrees, plus 90. That lies in [-90, 270];
 *     the 9 bins are [20 b, 20 (b+1)) for b = 0..8, so orientations outside [0, 180) fall in no bin, and neither
 *     does an orientation of exactly 0 (the course selects pixels by `orientation > 0`).
 *  4. Per 8 x 8 cell and bin, the mean magnitude of the cell's pixels in that bin. The course takes it as a
 *     uniform_filter of size 8 sampled at rows and columns 4, 12, 20, ...: scipy's window for an even size 8
 *     at index i spans i-4 .. i+3, which is exactly the cell, so the sample is the cell mean.
 *  5. Output order: the course stores each bin's [cellRow, cellCol] map transposed and ravels
 *     [cellCol, cellRow, bin], so feature index = (cellCol * cellRows + cellRow) * 9 + bin.
 *
 * Arithmetic runs in float64 like the course's numpy code; the result is stored as float32.
 */
import { PixelArray, checkImage } from './extract';

/** Pixels per cell side and number of orientation bins, fixed as in the course. */
export const HOG_CELL = 8;
export const HOG_BINS = 9;

/** Length of the HOG feature for an H x W image: floor(H/8) * floor(W/8) * 9 (144 for 32 x 32). */
export function hogFeatureLength(height: number, width: number): number {
  return Math.floor(height / HOG_CELL) * Math.floor(width / HOG_CELL) * HOG_BINS;
}

/**
 * The bin of an orientation in degrees, by the course's comparisons (20 b <= ori < 20 (b + 1), and ori > 0);
 * -1 when it falls in none. A division alone could misplace values within a rounding error of a bin edge, so
 * the floor is corrected against the edges themselves.
 */
export function orientationBin(ori: number): number {
  const width = 180 / HOG_BINS;
  if (!(ori > 0) || !(ori < 180)) return -1;
  let b = Math.floor(ori / width);
  if (ori < width * b) b--;
  else if (ori >= width * (b + 1)) b++;
  return b >= 0 && b < HOG_BINS ? b : -1;
}

/**
 * The course's rgb2gray: 0.299 R + 0.587 G + 0.144 B per pixel.
 *
 * image: H * W * 3 values, HWC, RGB. Returns the grey levels [H * W], row-major, in float64.
 */
export function rgbToGray(image: PixelArray): Float64Array {
  const gray = new Float64Array(image.length / 3);
  for (let p = 0; p < gray.length; p++) gray[p] = 0.299 * image[3 * p] + 0.587 * image[3 * p + 1] + 0.144 * image[3 * p + 2];
  return gray;
}

/**
 * HOG feature of one image.
 *
 * image: H * W * 3 values, HWC (row-major pixels, RGB), 0..255, e.g. one image of an NHWC batch (a subarray).
 * height, width: H and W (default 32). Returns Float32Array [floor(H/8) * floor(W/8) * 9], laid out
 * [cellCol, cellRow, bin] as the course's.
 */
export function hogFeature(image: PixelArray, height = 32, width = 32): Float32Array {
  checkImage('hogFeature', image, height, width);
  return hogFromGray(rgbToGray(image), height, width);
}

/**
 * HOG feature of one greyscale image: steps 2 to 5 above.
 *
 * gray: H * W grey levels, row-major. height, width: H and W. Returns Float32Array [floor(H/8) * floor(W/8) * 9],
 * laid out [cellCol, cellRow, bin].
 */
export function hogFromGray(gray: Float64Array, height: number, width: number): Float32Array {
  if (gray.length !== height * width) throw new Error(`hogFromGray: gray must hold H * W = ${height * width} values, got ${gray.length}`);
  const cellRows = Math.floor(height / HOG_CELL);
  const cellCols = Math.floor(width / HOG_CELL);
  const sums = new Float64Array(cellCols * cellRows * HOG_BINS);
  const toDegrees = 180 / Math.PI;
  // Only pixels inside whole cells are ever sampled by the course's filter; the rest are skipped.
  for (let r = 0; r < cellRows * HOG_CELL; r++) {
    const cellRow = Math.floor(r / HOG_CELL);
    for (let c = 0; c < cellCols * HOG_CELL; c++) {
      const p = r * width + c;
      const gx = c < width - 1 ? gray[p + 1] - gray[p] : 0;
      const gy = r < height - 1 ? gray[p + width] - gray[p] : 0;
      const mag = Math.sqrt(gx * gx + gy * gy);
      if (mag === 0) continue; // adds nothing to any bin
      const bin = orientationBin(Math.atan2(gy, gx + 1e-15) * toDegrees + 90);
      if (bin < 0) continue;
      const cellCol = Math.floor(c / HOG_CELL);
      sums[(cellCol * cellRows + cellRow) * HOG_BINS + bin] += mag;
    }
  }
  const out = new Float32Array(sums.length);
  const area = HOG_CELL * HOG_CELL;
  for (let k = 0; k < out.length; k++) out[k] = sums[k] / area;
  return out;
}
