/**
 * The course's preprocessing on a small synthetic CIFAR-10: split ranges as the notebooks slice them, the
 * training mean subtracted from every split, rows of 3,072 plus the column of ones, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { CifarSplit } from '../../src/data/split';
import {
  appendBiasColumn,
  disposePreprocessed,
  meanImage,
  preprocessCifar10,
  splitCifar10,
  toFloatTensor,
} from '../../src/data/preprocess';

function randomSplit(rng: Rng, n: number): CifarSplit {
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(10);
  return new CifarSplit(images, labels);
}

/** max |a - b| as a number, disposing what it makes. */
function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const t = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

const counts = { numTraining: 20, numValidation: 5, numTest: 4, numDev: 6, seed: 3 };

describe('CIFAR-10 preprocessing', () => {
  const rng = new Rng(7);
  const data = { train: randomSplit(rng, 30), test: randomSplit(rng, 8) };

  beforeAll(async () => {
    await useBackend();
  });

  it('splits as the notebooks do: train from the front, val right after, test from the front, dev seeded', () => {
    const s = splitCifar10(data, counts);
    expect([s.train.n, s.val.n, s.test.n, s.dev.n]).toEqual([20, 5, 4, 6]);
    expect(s.train.images.buffer).toBe(data.train.images.buffer); // a view, not a copy
    expect(Array.from(s.val.labels)).toEqual(Array.from(data.train.labels.subarray(20, 25)));
    expect(Array.from(s.val.images.subarray(0, 3072))).toEqual(Array.from(data.train.images.subarray(20 * 3072, 21 * 3072)));
    expect(Array.from(s.test.labels)).toEqual(Array.from(data.test.labels.subarray(0, 4)));
    const devIdx = new Rng(3).choiceWithoutReplacement(20, 6);
    expect(new Set(devIdx).size).toBe(6);
    devIdx.forEach((i, k) => {
      expect(s.dev.labels[k]).toBe(data.train.labels[i]);
      expect(Array.from(s.dev.images.subarray(k * 3072, (k + 1) * 3072))).toEqual(Array.from(data.train.images.subarray(i * 3072, (i + 1) * 3072)));
    });
    const otherDev = splitCifar10(data, { ...counts, seed: 4 }).dev;
    expect(Buffer.from(otherDev.images).equals(Buffer.from(s.dev.images))).toBe(false);
    expect(() => splitCifar10(data, { ...counts, numValidation: 11 })).toThrow(/numValidation must be an integer in 0\.\.10/);
    expect(() => splitCifar10(data, { ...counts, numDev: 21 })).toThrow(/numDev must be an integer in 0\.\.20 \(numTraining\), got 21/);
  });

  it('gives [N, 3073] rows: training mean subtracted everywhere, then a column of ones', () => {
    const before = tf.memory().numTensors;
    const p = preprocessCifar10(data, counts);
    expect(p.xTrain.shape).toEqual([20, 3073]);
    expect(p.xVal.shape).toEqual([5, 3073]);
    expect(p.xTest.shape).toEqual([4, 3073]);
    expect(p.xDev.shape).toEqual([6, 3073]);
    expect([p.yTrain.shape, p.yVal.shape, p.yTest.shape, p.yDev.shape]).toEqual([[20], [5], [4], [6]]);
    expect(p.yTrain.dtype).toBe('int32');
    expect(p.meanImage.shape).toEqual([32, 32, 3]);

    // The mean image is the training split's per-pixel mean (checked against tf.mean of the raw images).
    const expectedMean = tf.tidy(() => tf.mean(data.train.toTensor({ start: 0, end: 20 }), 0));
    expect(maxAbsDiff(p.meanImage, expectedMean)).toBeLessThan(1e-3);
    // After subtraction the training columns average to zero; the bias column is all ones.
    const pixels = tf.slice(p.xTrain, [0, 0], [20, 3072]);
    const columnMeans = tf.mean(pixels, 0);
    expect(Math.max(...Array.from(columnMeans.dataSync(), Math.abs))).toBeLessThan(1e-3);
    for (const x of [p.xTrain, p.xVal, p.xTest, p.xDev]) {
      const ones = tf.slice(x, [0, 3072], [x.shape[0], 1]);
      expect(Array.from(ones.dataSync())).toEqual(new Array(x.shape[0]).fill(1));
      ones.dispose();
    }
    // Val rows are training images 20..24, flattened in (h, w, c) order, minus the same mean.
    const expectedVal = tf.tidy(() =>
      tf.sub(tf.reshape(data.train.toTensor({ start: 20, end: 25 }), [5, 3072]), tf.reshape(expectedMean, [1, 3072])),
    );
    const val = tf.slice(p.xVal, [0, 0], [5, 3072]);
    expect(maxAbsDiff(val, expectedVal)).toBeLessThan(1e-3);
    tf.dispose([expectedMean, pixels, columnMeans, expectedVal, val]);
    disposePreprocessed(p);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("offers the knn notebook's raw rows and assignment 2's mean-subtracted images", () => {
    const before = tf.memory().numTensors;
    const raw = preprocessCifar10(data, { numTraining: 10, numValidation: 0, numTest: 3, numDev: 0, subtractMean: false, bias: false });
    expect(raw.xTrain.shape).toEqual([10, 3072]);
    expect(raw.xVal.shape).toEqual([0, 3072]);
    expect(Array.from(raw.xTest.dataSync())).toEqual(Array.from(data.test.images.subarray(0, 3 * 3072)));
    disposePreprocessed(raw);
    const images = preprocessCifar10(data, { ...counts, layout: 'images' });
    expect(images.xTrain.shape).toEqual([20, 32, 32, 3]);
    expect(images.xTest.shape).toEqual([4, 32, 32, 3]);
    disposePreprocessed(images);
    expect(() => preprocessCifar10(data, { ...counts, layout: 'images', bias: true })).toThrow(/bias needs layout 'rows'/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('meanImage, toFloatTensor and appendBiasColumn agree with each other', () => {
    const split = data.train.subset({ start: 0, end: 4 });
    const mean = meanImage(split);
    for (const p of [0, 1, 3071]) {
      let sum = 0;
      for (let i = 0; i < 4; i++) sum += split.images[i * 3072 + p];
      expect(mean[p]).toBeCloseTo(sum / 4, 4);
    }
    const before = tf.memory().numTensors;
    const direct = toFloatTensor(split, { mean, bias: true });
    const rows = toFloatTensor(split, { mean }) as tf.Tensor2D;
    const viaTensor = appendBiasColumn(rows);
    expect(Array.from(viaTensor.dataSync())).toEqual(Array.from(direct.dataSync()));
    tf.dispose([direct, rows, viaTensor]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => meanImage(data.train.subset({ start: 0, end: 0 }))).toThrow(/the split is empty/);
  });
});
