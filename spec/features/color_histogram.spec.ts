/**
 * Hue histogram: pure colours land in the bins their hue predicts, matplotlib's rgb_to_hsv rules (grey is hue 0,
 * ties between channels, wrap-around of negative hues), fractions summing to 1, the course's behaviour with
 * normalized=false, and errors.
 */
import { colorHistogramHsv, rgbToHue } from '../../src/features/color_histogram';
import { Rng } from '../../src/random';

/** A 32 x 32 image filled with one RGB colour. */
function solid(r: number, g: number, b: number, height = 32, width = 32): Uint8Array {
  const im = new Uint8Array(height * width * 3);
  for (let p = 0; p < height * width; p++) im.set([r, g, b], 3 * p);
  return im;
}

/** The bin the course puts a hue in: hue * 255 among 10 equal bins over [0, 255]. */
const binOfHue = (hue: number) => Math.min(9, Math.floor((hue * 255) / 25.5));

/** A histogram with all its mass in one bin. */
const oneHot = (bin: number, nbin = 10) => Array.from({ length: nbin }, (_, i) => (i === bin ? 1 : 0));

describe('rgbToHue (matplotlib rgb_to_hsv)', () => {
  it('primary and secondary colours sit at multiples of 1/6', () => {
    expect(rgbToHue(1, 0, 0)).toBe(0);
    expect(rgbToHue(1, 1, 0)).toBeCloseTo(1 / 6, 12);
    expect(rgbToHue(0, 1, 0)).toBeCloseTo(2 / 6, 12);
    expect(rgbToHue(0, 0, 1)).toBeCloseTo(4 / 6, 12);
  });

  it('grey has hue 0; where two channels tie for the maximum, either formula gives the same hue', () => {
    expect(rgbToHue(0.5, 0.5, 0.5)).toBe(0);
    // magenta: red and blue tie; blue's 4 + (r - g) / delta = 5 and red's (g - b) / delta = -1 both give 5/6
    expect(rgbToHue(1, 0, 1)).toBeCloseTo(5 / 6, 12);
    // orange-ish yellow: red and green tie at 0.8; green's 2 + (b - r) / delta = 1 and red's 1 both give 1/6
    expect(rgbToHue(0.8, 0.8, 0.2)).toBeCloseTo(1 / 6, 12);
  });

  it('negative sextants wrap into [0, 1) as Python % does', () => {
    // red max, blue above green: (g - b) / delta = -0.5 -> -1/12 -> 11/12
    expect(rgbToHue(1, 0, 0.5)).toBeCloseTo(11 / 12, 12);
  });
});

describe('colorHistogramHsv', () => {
  it('a pure red image lands in bin 0, pure green in bin 3, pure blue in bin 6', () => {
    // hue 0 -> 0; hue 1/3 -> 85 -> 85 / 25.5 = 3.33; hue 2/3 -> 170 -> 6.67
    expect(binOfHue(0)).toBe(0);
    expect(binOfHue(1 / 3)).toBe(3);
    expect(binOfHue(2 / 3)).toBe(6);
    expect(Array.from(colorHistogramHsv(solid(255, 0, 0)))).toEqual(oneHot(0));
    expect(Array.from(colorHistogramHsv(solid(0, 255, 0)))).toEqual(oneHot(3));
    expect(Array.from(colorHistogramHsv(solid(0, 0, 255)))).toEqual(oneHot(6));
    // brightness and saturation do not matter, only hue
    expect(Array.from(colorHistogramHsv(solid(0, 90, 30)))).toEqual(oneHot(3));
  });

  it('gives the fraction of pixels per bin: a half red, half blue image is 0.5 and 0.5', () => {
    const im = solid(255, 0, 0);
    for (let p = 0; p < 512; p++) im.set([0, 0, 200], 3 * p);
    const h = Array.from(colorHistogramHsv(im));
    expect(h[0]).toBeCloseTo(0.5, 6);
    expect(h[6]).toBeCloseTo(0.5, 6);
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('sums to 1 on a random image, with any number of bins', () => {
    const rng = new Rng(2);
    const im = Uint8Array.from(rng.uniformArray(32 * 32 * 3, 0, 256), Math.floor);
    for (const nbin of [10, 7, 25]) {
      const h = colorHistogramHsv(im, 32, 32, { nbin });
      expect(h).toHaveLength(nbin);
      expect(Array.from(h).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(Array.from(h).every((v) => v >= 0)).toBe(true);
    }
  });

  it('with normalized=false returns counts times the bin width, as the course code does', () => {
    const h = colorHistogramHsv(solid(0, 255, 0, 4, 5), 4, 5, { normalized: false });
    expect(Array.from(h)).toEqual(oneHot(3).map((v) => v * 20 * 25.5));
  });

  it('errors: wrong image size, pixels above xmax, bad bin count', () => {
    expect(() => colorHistogramHsv(new Uint8Array(5))).toThrow(/colorHistogramHsv: image must hold H \* W \* 3 = 3072 values/);
    expect(() => colorHistogramHsv(Float32Array.of(300, 0, 0), 1, 1)).toThrow(/pixel 0 has a value above xmax = 255 \(300, 0, 0\)/);
    expect(() => colorHistogramHsv(solid(1, 2, 3), 32, 32, { nbin: 0 })).toThrow(/nbin must be a positive integer, got 0/);
  });
});
