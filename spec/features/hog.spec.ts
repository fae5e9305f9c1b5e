/**
 * HOG features: agreement with a literal transcription of the course's hog_feature (uniform_filter sampled at cell
 * centres, then transposed), hand-made edges landing in the bins the orientation formula predicts, the quirks of
 * the course's binning kept, shapes and errors.
 */
import { HOG_BINS, hogFeature, hogFeatureLength, hogFromGray, orientationBin, rgbToGray } from '../../src/features/hog';
import { Rng } from '../../src/random';
import { relError } from '../../src/gradcheck';
import { fma, numpyGray } from '../support/fma';

/** Greyscale weight sum of the course's rgb2gray: a grey pixel of value v has grey level 1.03 v. */
const GREY = 0.299 + 0.587 + 0.144;

/** An H x W RGB image (HWC) whose pixel (r, c) is grey with value f(r, c). */
function greyImage(height: number, width: number, f: (r: number, c: number) => number): Uint8Array {
  const im = new Uint8Array(height * width * 3);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) im.fill(f(r, c), (r * width + c) * 3, (r * width + c) * 3 + 3);
  return im;
}

/** The course's orientation formula for one gradient, in degrees: atan2(gy, gx + 1e-15) * 180 / pi + 90. */
const courseOrientation = (gx: number, gy: number) => Math.atan2(gy, gx + 1e-15) * (180 / Math.PI) + 90;

/** scipy.ndimage.uniform_filter (mode 'reflect', origin 0) along both axes of an H x W array. */
function uniformFilter(a: Float64Array, height: number, width: number, size: number): Float64Array {
  const reflect = (i: number, n: number) => {
    // 'reflect' repeats the edge sample: d c b a | a b c d | d c b a
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
  };
  const before = Math.floor(size / 2);
  const rows = new Float64Array(a.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      let s = 0;
      for (let k = -before; k < size - before; k++) s += a[reflect(r + k, height) * width + c];
      rows[r * width + c] = s / size;
    }
  }
  const out = new Float64Array(a.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      let s = 0;
      for (let k = -before; k < size - before; k++) s += rows[r * width + reflect(c + k, width)];
      out[r * width + c] = s / size;
    }
  }
  return out;
}

/**
 * Line by line the course's hog_feature for a square image, from its greyscale g [n * n]: np.where masks,
 * uniform_filter, [4::8] sampling, .T.
 */
function courseHog(g: Float64Array, n: number): Float64Array {
  const mag = new Float64Array(n * n);
  const ori = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const p = r * n + c;
      const gx = c < n - 1 ? g[p + 1] - g[p] : 0;
      const gy = r < n - 1 ? g[p + n] - g[p] : 0;
      mag[p] = Math.sqrt(gx * gx + gy * gy);
      ori[p] = courseOrientation(gx, gy);
    }
  }
  const cells = Math.floor(n / 8);
  const hist = new Float64Array(cells * cells * 9);
  for (let i = 0; i < 9; i++) {
    const tempMag = new Float64Array(n * n);
    for (let p = 0; p < n * n; p++) {
      let tempOri = ori[p] < (180 / 9) * (i + 1) ? ori[p] : 0;
      tempOri = ori[p] >= (180 / 9) * i ? tempOri : 0;
      tempMag[p] = tempOri > 0 ? mag[p] : 0;
    }
    const filtered = uniformFilter(tempMag, n, n, 8);
    // sampled[a][b] = filtered[4 + 8a, 4 + 8b]; the course stores sampled.T, so hist[a, b, i] = sampled[b][a].
    for (let a = 0; a < cells; a++) for (let b = 0; b < cells; b++) hist[(a * cells + b) * 9 + i] = filtered[(4 + 8 * b) * n + (4 + 8 * a)];
  }
  return hist;
}

describe('hogFeature', () => {
  it('has floor(H/8) * floor(W/8) * 9 values: 144 for a 32 x 32 image', () => {
    expect(hogFeatureLength(32, 32)).toBe(144);
    expect(hogFeature(new Uint8Array(32 * 32 * 3))).toHaveLength(144);
    expect(hogFeature(new Uint8Array(16 * 24 * 3), 16, 24)).toHaveLength(2 * 3 * 9);
  });

  it('matches a line-by-line transcription of the course code on random images', () => {
    const rng = new Rng(1);
    for (const n of [32, 16, 24]) {
      const im = Uint8Array.from(rng.uniformArray(n * n * 3, 0, 256), Math.floor);
      // float32 storage of float64 values: ~6e-8 relative
      expect(relError(hogFeature(im, n, n), courseHog(rgbToGray(im), n)).norm).toBeLessThan(1e-6);
      // From the greyscale exactly as numpy rounds it (spec/support/fma.ts), the same agreement.
      expect(relError(hogFromGray(numpyGray(im), n, n), courseHog(numpyGray(im), n)).norm).toBeLessThan(1e-6);
    }
  });

  it('a flat image has no gradient anywhere: all zeros', () => {
    expect(Array.from(hogFeature(greyImage(32, 32, () => 77))).every((v) => v === 0)).toBe(true);
  });

  it('a vertical edge, dark left to bright right, fills the 90-degree bin of the cells it crosses', () => {
    const step = 255 * GREY; // grey-level jump at the edge
    const im = greyImage(32, 32, (_r, c) => (c < 16 ? 0 : 255));
    // gx = step > 0, gy = 0 -> atan2(0, step) = 0 degrees -> orientation 90 -> bin floor(90 / 20) = 4
    const bin = Math.floor(courseOrientation(step, 0) / 20);
    expect(bin).toBe(4);
    expect(orientationBin(courseOrientation(step, 0))).toBe(bin);
    const f = hogFeature(im);
    // The jump sits between columns 15 and 16: column 15 belongs to cell column 1. Each of its cells holds 8
    // such pixels of 64, so the cell mean is step / 8. Layout [cellCol, cellRow, bin].
    for (let cellCol = 0; cellCol < 4; cellCol++) {
      for (let cellRow = 0; cellRow < 4; cellRow++) {
        for (let b = 0; b < HOG_BINS; b++) {
          const expected = cellCol === 1 && b === bin ? step / 8 : 0;
          expect(f[(cellCol * 4 + cellRow) * HOG_BINS + b]).toBeCloseTo(expected, 4);
        }
      }
    }
  });

  it('the layout is [cellCol, cellRow, bin]: an edge in one cell lands at that cell index', () => {
    // Vertical edge only in rows 16..23 (cell row 2), at column 7 -> 8 (cell column 0).
    const im = greyImage(32, 32, (r, c) => (r >= 16 && r < 24 && c >= 8 ? 255 : 0));
    const f = hogFeature(im);
    // The block's horizontal borders have gx = 0 and fall in no bin (see the quirks below), so the vertical edge's
    // 8 pixels are the only gradient counted: one entry, cellCol 0, cellRow 2, bin 4.
    const nonzero = Array.from(f.keys()).filter((k) => f[k] !== 0);
    expect(nonzero).toEqual([(0 * 4 + 2) * HOG_BINS + 4]);
  });

  it('diagonal ramps fill the bins the formula predicts: 135 degrees (bin 6) and 45 degrees (bin 2)', () => {
    const cases: Array<[string, (r: number, c: number) => number, number]> = [
      // brighter down and right: gx = gy = 4 GREY -> atan2 = 45 -> orientation 135
      ['down-right', (r, c) => 4 * (r + c), 4 * GREY],
      // brighter up and right: gx = 4 GREY, gy = -4 GREY -> atan2 = -45 -> orientation 45
      ['up-right', (r, c) => 124 + 4 * (c - r), -4 * GREY],
    ];
    for (const [label, f, gy] of cases) {
      const gx = 4 * GREY;
      const bin = Math.floor(courseOrientation(gx, gy) / 20);
      expect([label, bin]).toEqual([label, label === 'down-right' ? 6 : 2]);
      const feat = hogFeature(greyImage(32, 32, f));
      // Interior cells (away from the last row and column, where np.diff leaves a zero) hold only that bin.
      for (let cellCol = 0; cellCol < 3; cellCol++) {
        for (let cellRow = 0; cellRow < 3; cellRow++) {
          for (let b = 0; b < HOG_BINS; b++) {
            const expected = b === bin ? Math.hypot(gx, gy) : 0;
            expect(feat[(cellCol * 4 + cellRow) * HOG_BINS + b]).toBeCloseTo(expected, 4);
          }
        }
      }
    }
  });

  it('keeps the course quirks: horizontal edges and right-to-left darkening fall in no bin', () => {
    // gx = 0, gy > 0: orientation 180, outside [0, 180). gx = 0, gy < 0: orientation 0, excluded by `> 0`.
    // gx < 0, gy = 0: orientation 270.
    expect(orientationBin(courseOrientation(0, 255 * GREY))).toBe(-1);
    expect(orientationBin(courseOrientation(0, -255 * GREY))).toBe(-1);
    expect(orientationBin(courseOrientation(-255 * GREY, 0))).toBe(-1);
    const zero = (im: Uint8Array) => Array.from(hogFeature(im)).every((v) => v === 0);
    expect(zero(greyImage(32, 32, (r) => (r < 16 ? 0 : 255)))).toBe(true);
    expect(zero(greyImage(32, 32, (r) => (r < 16 ? 255 : 0)))).toBe(true);
    expect(zero(greyImage(32, 32, (_r, c) => (c < 16 ? 255 : 0)))).toBe(true);
  });

  it("two colours whose grey levels tie exactly make no edge from numpy's greyscale (one rounding per step)", () => {
    // 255 * 0.299 + 153 * 0.587 + 255 * 0.144 = 153 * 0.299 + 255 * 0.587 + 51 * 0.144 = 202.776 in exact
    // arithmetic. With fused multiply-adds (np.dot on OpenBLAS) both round to the same double; with separately
    // rounded products and sums (rgbToGray) they differ by 3e-14, and that tiny gx tips the strong horizontal
    // edge below them (gy = -202.776) from orientation 0 (no bin) to 1e-14 degrees: bin 0 (docs/hog.md).
    const a = [255, 153, 255];
    const b = [153, 255, 51];
    const grey = (p: number[]) => fma(p[2], 0.144, fma(p[1], 0.587, p[0] * 0.299));
    expect(grey(a)).toBe(grey(b));
    expect(a[0] * 0.299 + a[1] * 0.587 + a[2] * 0.144).not.toBe(b[0] * 0.299 + b[1] * 0.587 + b[2] * 0.144);
    const im = new Uint8Array(32 * 32 * 3);
    for (let r = 0; r < 16; r++) for (let c = 0; c < 32; c++) im.set(c < 16 ? a : b, (r * 32 + c) * 3);
    expect(Array.from(hogFromGray(numpyGray(im), 32, 32)).every((v) => v === 0)).toBe(true);
    expect(Array.from(hogFeature(im)).some((v) => v !== 0)).toBe(true);
  });

  it('orientationBin: half-open bins of 20 degrees over (0, 180)', () => {
    expect(orientationBin(0)).toBe(-1);
    expect(orientationBin(1e-9)).toBe(0);
    expect(orientationBin(19.999999)).toBe(0);
    expect(orientationBin(20)).toBe(1);
    expect(orientationBin(90)).toBe(4);
    expect(orientationBin(179.9999)).toBe(8);
    expect(orientationBin(180)).toBe(-1);
    expect(orientationBin(-10)).toBe(-1);
  });

  it('errors name the function and the expected image size', () => {
    expect(() => hogFeature(new Uint8Array(10))).toThrow(/hogFeature: image must hold H \* W \* 3 = 3072 values.*got 10/);
    expect(() => hogFromGray(new Float64Array(10), 32, 32)).toThrow(/hogFromGray: gray must hold H \* W = 1024 values, got 10/);
  });
});
