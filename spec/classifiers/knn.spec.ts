/**
 * k-nearest neighbour, as the notebook checks it: the three distance computations agree, k = 1 on the training
 * set is perfect, votes break ties toward the smaller label, cross-validation splits like np.array_split, errors
 * name what is wrong, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { relError } from '../../src/gradcheck';
import { KNearestNeighbor, crossValidate, foldRanges } from '../../src/classifiers/knn';

beforeAll(async () => {
  await useBackend();
});

/** Three well-separated clusters of `perClass` points in `dim` dimensions, labels 0..2, in random order. */
function clusters(rng: Rng, perClass: number, dim: number): { X: tf.Tensor2D; y: Int32Array } {
  const n = 3 * perClass;
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  const order = rng.permutation(n);
  for (let i = 0; i < n; i++) {
    const label = order[i] % 3;
    y[i] = label;
    for (let d = 0; d < dim; d++) x[i * dim + d] = (d % 3 === label ? 10 : 0) + rng.normal();
  }
  return { X: tf.tensor2d(x, [n, dim]), y };
}

describe('KNearestNeighbor distances', () => {
  it('two loops give the L2 distance of every pair, checked by hand on a small case', () => {
    const knn = new KNearestNeighbor();
    tf.tidy(() => {
      knn.train(tf.tensor2d([[0, 0], [3, 4], [1, 1]]), Int32Array.of(0, 1, 2));
      const d = knn.computeDistancesTwoLoops(tf.tensor2d([[0, 0], [6, 8]]));
      expect(d.shape).toEqual([2, 3]);
      // |(0,0)-(0,0)| = 0, |(0,0)-(3,4)| = 5, |(0,0)-(1,1)| = sqrt 2; |(6,8)-(0,0)| = 10, -(3,4) = 5, -(1,1) = sqrt 74
      const expected = [0, 5, Math.SQRT2, 10, 5, Math.sqrt(74)];
      expect(relError(d, expected).norm).toBeLessThan(1e-7);
    });
    knn.dispose();
  });

  it('one loop and no loops agree with two loops (pixel-scale values, where cancellation is worst)', () => {
    const rng = new Rng(3);
    const knn = new KNearestNeighbor();
    tf.tidy(() => {
      const Xtr = tf.tensor2d(rng.uniformArray(40 * 48, 0, 255).map(Math.floor), [40, 48]);
      const Xte = tf.tensor2d(rng.uniformArray(9 * 48, 0, 255).map(Math.floor), [9, 48]);
      knn.train(Xtr, rng.choice(3, 40));
      const two = knn.computeDistancesTwoLoops(Xte);
      const one = knn.computeDistancesOneLoop(Xte);
      const none = knn.computeDistancesNoLoops(Xte);
      expect(none.shape).toEqual([9, 40]);
      // float32 throughout: the loop-free form subtracts terms of ~1e6 to get ~1e5, so agreement to ~1e-6.
      const errOne = relError(one, two).norm;
      const errNone = relError(none, two).norm;
      expect(errOne).toBeLessThan(1e-6);
      expect(errNone).toBeLessThan(1e-5);
    });
    knn.dispose();
  });

  it('keeps one float32 copy of the training rows as given; int32 pixels give the same distances bit for bit', () => {
    const rng = new Rng(5);
    const [n, d] = [30, 20];
    const pixels = rng.uniformArray(n * d, 0, 255).map(Math.floor);
    const test = rng.uniformArray(4 * d, 0, 255).map(Math.floor);
    const asFloat = new KNearestNeighbor();
    const asInt = new KNearestNeighbor();
    tf.tidy(() => {
      const bytesBefore = tf.memory().numBytes;
      asFloat.train(tf.tensor2d(pixels, [n, d]), rng.choice(3, n));
      // One float32 copy of [n, d] is all the classifier holds (the input above belongs to this tidy).
      expect(tf.memory().numBytes - bytesBefore).toBe(n * d * 4 + n * d * 4);
      asInt.train(tf.tensor2d(pixels, [n, d], 'int32'), rng.choice(3, n));
      const teFloat = tf.tensor2d(test, [4, d]);
      const teInt = tf.tensor2d(test, [4, d], 'int32');
      // Casting integer pixels to float32 is exact: both classifiers see the same rows, bit for bit.
      expect(asInt.computeDistancesTwoLoops(teInt).dataSync()).toEqual(asFloat.computeDistancesTwoLoops(teFloat).dataSync());
      expect(asInt.computeDistancesOneLoop(teFloat).dataSync()).toEqual(asFloat.computeDistancesOneLoop(teFloat).dataSync());
      expect(asInt.computeDistancesNoLoops(teInt).dataSync()).toEqual(asFloat.computeDistancesNoLoops(teFloat).dataSync());
      // And they are the rows given: two loops on integer pixels equal the distances summed here in float64.
      const two = asFloat.computeDistancesTwoLoops(teFloat).dataSync();
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let k = 0; k < d; k++) sum += (test[i * d + k] - pixels[j * d + k]) ** 2;
          expect(two[i * n + j]).toBe(Math.fround(Math.sqrt(sum)));
        }
      }
    });
    asFloat.dispose();
    asInt.dispose();
  });

  it('no loops clamps rounding below zero: a row against itself is distance 0, not NaN', () => {
    const rng = new Rng(4);
    const knn = new KNearestNeighbor();
    tf.tidy(() => {
      const X = tf.tensor2d(rng.uniformArray(6 * 30, 0, 255), [6, 30]);
      knn.train(X, rng.choice(2, 6));
      const d = knn.computeDistancesNoLoops(X).dataSync();
      for (let i = 0; i < 6; i++) {
        expect(Number.isNaN(d[i * 6 + i])).toBe(false);
        expect(d[i * 6 + i]).toBeLessThan(0.5); // rows are ~400 apart; self-distance is rounding only
      }
    });
    knn.dispose();
  });
});

describe('KNearestNeighbor.predictLabels', () => {
  it('k = 1 on the training set itself is perfect', () => {
    const rng = new Rng(5);
    const knn = new KNearestNeighbor();
    const { X, y } = clusters(rng, 10, 6);
    knn.train(X, y);
    for (const loops of [0, 1, 2] as const) expect(Array.from(knn.predict(X, 1, loops))).toEqual(Array.from(y));
    X.dispose();
    knn.dispose();
  });

  it('a tied vote goes to the smaller label; a majority beats a smaller label', () => {
    const knn = new KNearestNeighbor();
    tf.tidy(() => {
      // 1-D training points; the test point sits at 0.
      knn.train(tf.tensor2d([[1], [-1], [2], [-2.5], [9]]), Int32Array.of(3, 1, 3, 0, 0));
      const test = tf.tensor2d([[0]]);
      const dists = knn.computeDistancesNoLoops(test);
      // k = 2: labels 3 and 1 at distance 1 each -> one vote each -> smaller label 1.
      expect(Array.from(knn.predictLabels(dists, 2))).toEqual([1]);
      // k = 3: adds label 3 at distance 2 -> label 3 has two votes.
      expect(Array.from(knn.predictLabels(dists, 3))).toEqual([3]);
      // k = 4: adds label 0 at 2.5 -> 3 has two, 1 and 0 one each -> 3.
      expect(Array.from(knn.predictLabels(dists, 4))).toEqual([3]);
      // k = 5: 3 has two, 0 has two -> tie -> smaller label 0.
      expect(Array.from(knn.predictLabels(dists, 5))).toEqual([0]);
      // k = 1: two rows at distance 1 (labels 3, 1): the earlier training row wins the distance tie.
      expect(Array.from(knn.predictLabels(dists, 1))).toEqual([3]);
    });
    knn.dispose();
  });

  it('errors name the method, the argument and what was received', () => {
    const knn = new KNearestNeighbor();
    const x = tf.tensor2d([[1, 2]]);
    expect(() => knn.computeDistancesNoLoops(x)).toThrow(/computeDistancesNoLoops: no training data/);
    knn.train(tf.tensor2d([[0, 0], [1, 1]]), Int32Array.of(0, 1));
    const wrong = tf.tensor2d([[1, 2, 3]]);
    expect(() => knn.computeDistancesOneLoop(wrong)).toThrow(/X must be \[Nte, 2\].*got \[1,3\]/);
    const dists = knn.computeDistancesNoLoops(x);
    expect(() => knn.predictLabels(dists, 3)).toThrow(/k = 3 exceeds the number of training rows \(2\)/);
    expect(() => knn.train(x, Int32Array.of(0, 1))).toThrow(/KNearestNeighbor.train: y must be \[N\] with N = 1, one label per example, got 2 labels/);
    tf.dispose([x, wrong, dists]);
    knn.dispose();
  });

  it('leaks no tensors through train, every distance version, predict and dispose', () => {
    const rng = new Rng(6);
    const X = rng.randn([8, 5]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const knn = new KNearestNeighbor();
    knn.train(X, rng.choice(3, 8));
    for (const loops of [0, 1, 2] as const) knn.predict(X, 3, loops);
    knn.dispose();
    expect(tf.memory().numTensors).toBe(before);
    X.dispose();
  });
});

describe('cross-validation', () => {
  it('folds split the rows as np.array_split does: the first N mod F folds get one extra row', () => {
    expect(foldRanges(10, 3)).toEqual([
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    expect(foldRanges(10, 5).map(([s, e]) => e - s)).toEqual([2, 2, 2, 2, 2]);
    expect(() => foldRanges(3, 4)).toThrow(/numFolds = 4 exceeds the number of rows \(3\)/);
  });

  it('returns one accuracy per fold for every k, perfect on separable clusters for small k', () => {
    const rng = new Rng(7);
    const { X, y } = clusters(rng, 9, 6); // 27 rows
    const before = tf.memory().numTensors;
    const folds: number[] = [];
    const acc = crossValidate(X, y, [1, 3, 5], 4, (f) => folds.push(f));
    expect(tf.memory().numTensors).toBe(before);
    expect(folds).toEqual([0, 1, 2, 3]);
    expect(Object.keys(acc).map(Number)).toEqual([1, 3, 5]);
    for (const k of [1, 3, 5]) {
      expect(acc[k]).toHaveLength(4);
      for (const a of acc[k]) expect(a).toBe(1);
    }
    X.dispose();
  });

  it('accuracies match predicting each held-out fold with a classifier trained on the rest', () => {
    const rng = new Rng(8);
    // Overlapping noise so that accuracies are not all 1: a real comparison.
    const X = rng.randn([20, 4]) as tf.Tensor2D;
    const y = rng.choice(3, 20);
    const acc = crossValidate(X, y, [1, 4], 3);
    const ranges = foldRanges(20, 3);
    ranges.forEach(([start, end], f) => {
      const keep = Array.from({ length: 20 }, (_, i) => i).filter((i) => i < start || i >= end);
      const held = Array.from({ length: end - start }, (_, i) => start + i);
      const knn = new KNearestNeighbor();
      tf.tidy(() => {
        knn.train(tf.gather(X, keep) as tf.Tensor2D, Int32Array.from(keep.map((i) => y[i])));
        for (const k of [1, 4]) {
          const pred = knn.predict(tf.gather(X, held) as tf.Tensor2D, k);
          const correct = held.filter((row, i) => pred[i] === y[row]).length;
          expect(acc[k][f]).toBeCloseTo(correct / held.length, 12);
        }
      });
      knn.dispose();
    });
    X.dispose();
  });
});
