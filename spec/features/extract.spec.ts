/**
 * Feature extraction over a batch and the notebook's normalisation: rows are the per-image features concatenated,
 * progress is reported, the statistics centre and scale every column, the bias column is appended, and bad
 * inputs fail with a message that says what was expected.
 */
import { FeatureFn, extractFeatures, featureStats, normalizeFeatures } from '../../src/features/extract';
import { hogFeature } from '../../src/features/hog';
import { colorHistogramHsv } from '../../src/features/color_histogram';
import { Rng } from '../../src/random';

function randomImages(rng: Rng, n: number, height = 32, width = 32): Uint8Array {
  return Uint8Array.from(rng.uniformArray(n * height * width * 3, 0, 256), Math.floor);
}

const histFn: FeatureFn = (im, h, w) => colorHistogramHsv(im, h, w);

describe('extractFeatures', () => {
  it('stacks HOG (144) and hue histogram (10) into rows of 154, equal to per-image calls', () => {
    const rng = new Rng(1);
    const images = randomImages(rng, 4);
    const feats = extractFeatures(images, [hogFeature, histFn]);
    expect(feats).toHaveLength(4 * 154);
    for (let i = 0; i < 4; i++) {
      const im = images.subarray(i * 3072, (i + 1) * 3072);
      expect(Array.from(feats.subarray(i * 154, i * 154 + 144))).toEqual(Array.from(hogFeature(im)));
      expect(Array.from(feats.subarray(i * 154 + 144, (i + 1) * 154))).toEqual(Array.from(colorHistogramHsv(im)));
    }
  });

  it('passes other image sizes through and reports progress every `progressEvery` images and at the end', () => {
    const rng = new Rng(2);
    const calls: Array<[number, number]> = [];
    const feats = extractFeatures(randomImages(rng, 5, 16, 16), [hogFeature], {
      height: 16,
      width: 16,
      progressEvery: 2,
      onProgress: (done, total) => calls.push([done, total]),
    });
    expect(feats).toHaveLength(5 * 36);
    expect(calls).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
  });

  it('errors: a batch that is not whole images, and a feature whose length changes', () => {
    expect(() => extractFeatures(new Uint8Array(3073), [hogFeature])).toThrow(
      /extractFeatures: images must be \[N, 32, 32, 3\] \(NHWC\), but 3073 values is not a multiple of 3072/,
    );
    let calls = 0;
    const unstable: FeatureFn = () => new Float32Array(++calls);
    expect(() => extractFeatures(new Uint8Array(2 * 3072), [unstable])).toThrow(/feature function 0 returned 2 values for image 1, but 1 for image 0/);
  });
});

describe('featureStats / normalizeFeatures', () => {
  it('centres and scales every training column to mean 0, std 1, and appends a bias column of ones', () => {
    const rng = new Rng(3);
    const n = 50;
    const dim = 4;
    const train = new Float32Array(n * dim);
    for (let i = 0; i < n * dim; i++) train[i] = 3 + 10 * (i % dim) + (1 + (i % dim)) * rng.normal();
    const stats = featureStats(train, dim);
    const out = normalizeFeatures(train, stats);
    expect(out).toHaveLength(n * (dim + 1));
    for (let j = 0; j < dim; j++) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < n; i++) m += out[i * (dim + 1) + j] / n;
      for (let i = 0; i < n; i++) v += (out[i * (dim + 1) + j] - m) ** 2 / n;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(Math.sqrt(v)).toBeCloseTo(1, 5);
    }
    for (let i = 0; i < n; i++) expect(out[i * (dim + 1) + dim]).toBe(1);
    expect(normalizeFeatures(train, stats, false)).toHaveLength(n * dim);
  });

  it('applies training statistics to other sets, and only centres a column that is constant in training', () => {
    const train = Float32Array.of(1, 5, 3, 5); // two rows, two columns; column 1 is constant
    const stats = featureStats(train, 2);
    expect(Array.from(stats.mean)).toEqual([2, 5]);
    expect(Array.from(stats.std)).toEqual([1, 0]);
    const val = normalizeFeatures(Float32Array.of(4, 7), stats);
    expect(Array.from(val)).toEqual([2, 2, 1]);
  });

  it('errors name the mismatch', () => {
    const stats = featureStats(Float32Array.of(1, 2, 3, 4), 2);
    expect(() => normalizeFeatures(Float32Array.of(1, 2, 3), stats)).toThrow(/features must be \[N, 2\] to match the stats, but 3 values/);
    expect(() => featureStats(Float32Array.of(1, 2, 3), 2)).toThrow(/featureStats: features must be a non-empty \[N, 2\] matrix, got 3 values/);
  });
});
