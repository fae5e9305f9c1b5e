/**
 * Colour histogram over hue, the course's `color_histogram_hsv` in `features.py`:
 *
 *   hsv = matplotlib.colors.rgb_to_hsv(im / xmax) * xmax
 *   imhist, edges = np.histogram(hsv[:, :, 0], bins=np.linspace(xmin, xmax, nbin + 1), density=normalized)
 *   return imhist * np.diff(edges)
 *
 * Only hue is kept: it says which colours an image holds regardless of how bright or saturated they are (see
 * docs/hog.md). With the default density=True, multiplying by the bin widths turns densities back into the
 * fraction of pixels per bin (summing to 1). With normalized=false the course still multiplies the raw counts by
 * the bin width; we do the same so that the numbers match.
 *
 * Arithmetic runs in float64 like numpy; the result is stored as float32.
 */
import { PixelArray, checkImage } from './extract';

export interface ColorHistogramOptions {
  /** Number of bins. Default 10. */
  nbin?: number;
  /** Lower edge of the histogram range. Default 0. */
  xmin?: number;
  /** Upper edge of the range, and the pixel scale (pixels are divided by it before the HSV conversion). Default 255. */
  xmax?: number;
  /** Histogram as a density (then times bin width: fractions of pixels), as np.histogram's density. Default true. */
  normalized?: boolean;
}

/**
 * Hue of one RGB pixel in [0, 1), with matplotlib's rgb_to_hsv rules: 0 for a grey pixel (max = min); when
 * several channels share the maximum, blue wins over green over red (matplotlib assigns them in that order,
 * later overwriting earlier; the formulas agree there up to rounding); the sextant value h / 6 is wrapped into [0, 1) as Python's `% 1.0` does.
 * r, g, b: channel values in [0, 1].
 */
export function rgbToHue(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const delta = max - Math.min(r, g, b);
  let h = 0;
  if (delta > 0) {
    if (b === max) h = 4 + (r - g) / delta;
    else if (g === max) h = 2 + (b - r) / delta;
    else h = (g - b) / delta;
  }
  // matplotlib takes (h / 6) % 1.0. Here h lies in [-1, 5], so h / 6 is already inside (-1, 1) and the modulo
  // only wraps negative values up by 1 (Python's % takes the divisor's sign); fmod of such a value is exact.
  const m = h / 6;
  return m < 0 ? m + 1 : m;
}

/**
 * Bin of x among nbin equal bins with the given edges, by np.histogram's rules: [e_b, e_{b+1}), the last bin
 * closed on the right; -1 outside [e_0, e_nbin]. Computed by division, then corrected against the edges, as
 * numpy does, so values within a rounding error of an edge land where numpy puts them.
 */
function histogramBin(x: number, edges: Float64Array, nbin: number): number {
  const lo = edges[0];
  const hi = edges[nbin];
  if (!(x >= lo && x <= hi)) return -1;
  let b = Math.floor(((x - lo) / (hi - lo)) * nbin);
  if (b === nbin) b--;
  if (x < edges[b]) b--;
  else if (x >= edges[b + 1] && b !== nbin - 1) b++;
  return b;
}

/**
 * Hue histogram of one image.
 *
 * image: H * W * 3 values, HWC, RGB, in [0, xmax] (e.g. 0..255). height, width: default 32.
 * Returns Float32Array [nbin].
 */
export function colorHistogramHsv(image: PixelArray, height = 32, width = 32, options: ColorHistogramOptions = {}): Float32Array {
  const { nbin = 10, xmin = 0, xmax = 255, normalized = true } = options;
  checkImage('colorHistogramHsv', image, height, width);
  if (!Number.isInteger(nbin) || nbin <= 0) throw new Error(`colorHistogramHsv: nbin must be a positive integer, got ${nbin}`);
  if (!(xmax > xmin)) throw new Error(`colorHistogramHsv: need xmin < xmax, got xmin = ${xmin}, xmax = ${xmax}`);
  // np.linspace(xmin, xmax, nbin + 1): i * step + xmin, the last edge set to xmax exactly.
  const edges = new Float64Array(nbin + 1);
  const step = (xmax - xmin) / nbin;
  for (let i = 0; i < nbin; i++) edges[i] = i * step + xmin;
  edges[nbin] = xmax;

  const counts = new Float64Array(nbin);
  let total = 0;
  const numPixels = height * width;
  for (let p = 0; p < numPixels; p++) {
    const r = image[3 * p] / xmax;
    const g = image[3 * p + 1] / xmax;
    const b = image[3 * p + 2] / xmax;
    if (r > 1 || g > 1 || b > 1) {
      throw new Error(`colorHistogramHsv: pixel ${p} has a value above xmax = ${xmax} (${image[3 * p]}, ${image[3 * p + 1]}, ${image[3 * p + 2]})`);
    }
    const bin = histogramBin(rgbToHue(r, g, b) * xmax, edges, nbin);
    if (bin >= 0) {
      counts[bin]++;
      total++;
    }
  }
  const out = new Float32Array(nbin);
  for (let i = 0; i < nbin; i++) {
    const binWidth = edges[i + 1] - edges[i];
    // density = count / width / total; the course then multiplies by the width again.
    out[i] = normalized ? (counts[i] / binWidth / total) * binWidth : counts[i] * binWidth;
  }
  return out;
}
