/**
 * LinearClassifier (LinearSVM, Softmax): SGD learns a separable toy problem, the loss falls, W starts at
 * 0.001 * N(0, 1), the same seed gives the same weights, minibatches are drawn with replacement, W is a
 * tf.Variable that the classifier owns, and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { predictionAccuracy } from '../../src/classifiers/accuracy';
import { Rng } from '../../src/random';
import { relError } from '../../src/gradcheck';
import { LinearClassifier, LinearSVM, Softmax } from '../../src/classifiers/linear_classifier';

beforeAll(async () => {
  await useBackend();
});

/**
 * Three Gaussian blobs in 2-D around (4, 0), (-4, 4), (-4, -4), std 1, with a bias column of ones appended as
 * the course does: X [3 * perClass, 3]. Linearly separable with a wide margin.
 */
function blobs(rng: Rng, perClass: number): { X: tf.Tensor2D; y: Int32Array } {
  const centres = [
    [4, 0],
    [-4, 4],
    [-4, -4],
  ];
  const n = 3 * perClass;
  const x = new Float32Array(n * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    x[i * 3] = centres[c][0] + rng.normal();
    x[i * 3 + 1] = centres[c][1] + rng.normal();
    x[i * 3 + 2] = 1;
  }
  return { X: tf.tensor2d(x, [n, 3]), y };
}

const makers: Array<[string, () => LinearClassifier]> = [
  ['LinearSVM', () => new LinearSVM()],
  ['Softmax', () => new Softmax()],
];

describe.each(makers)('%s', (_name, make) => {
  it('learns a separable toy problem: training accuracy above 95%, loss falling', () => {
    const rng = new Rng(1);
    const { X, y } = blobs(rng, 50);
    const clf = make();
    const iterations: number[] = [];
    const history = clf.train(X, y, { learningRate: 0.05, reg: 1e-4, numIters: 200, batchSize: 30, seed: 2, onIteration: (it) => iterations.push(it) });
    expect(history).toHaveLength(200);
    expect(iterations).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(history.slice(-20))).toBeLessThan(0.5 * mean(history.slice(0, 5)));
    const pred = clf.predict(X);
    expect(pred).toBeInstanceOf(Int32Array);
    expect(pred).toHaveLength(150);
    expect(predictionAccuracy(pred, y)).toBeGreaterThan(0.95);
    clf.dispose();
    X.dispose();
  });

  it('initialises W [D, C] as 0.001 * N(0, 1), C = max(y) + 1, as a tf.Variable', () => {
    const rng = new Rng(3);
    const X = rng.randn([40, 30]) as tf.Tensor2D;
    const clf = make();
    clf.train(X, Int32Array.from({ length: 40 }, (_, i) => i % 7), { numIters: 0, seed: 4 });
    expect(clf.W).toBeInstanceOf(tf.Variable);
    expect(clf.W!.shape).toEqual([30, 7]);
    const w = Array.from(clf.W!.dataSync());
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.0008);
    expect(std).toBeLessThan(0.0012);
    clf.dispose();
    expect(clf.W).toBeNull();
    X.dispose();
  });

  it('the same seed gives the same weights; another seed does not; a second train() continues from W', () => {
    const rng = new Rng(5);
    const { X, y } = blobs(rng, 10);
    const opts = { learningRate: 0.01, numIters: 15, batchSize: 8 };
    const a = make();
    const b = make();
    const c = make();
    a.train(X, y, { ...opts, seed: 6 });
    b.train(X, y, { ...opts, rng: new Rng(6) });
    c.train(X, y, { ...opts, seed: 7 });
    expect(relError(a.W!, b.W!).norm).toBe(0);
    expect(relError(a.W!, c.W!).norm).toBeGreaterThan(1e-3);
    const before = Float32Array.from(a.W!.dataSync());
    a.train(X, y, { ...opts, numIters: 1, seed: 8 });
    expect(relError(a.W!, before).norm).toBeGreaterThan(0);
    for (const clf of [a, b, c]) clf.dispose();
    X.dispose();
  });

  it('draws minibatches with replacement: a batch larger than the training set works', () => {
    const rng = new Rng(9);
    const { X, y } = blobs(rng, 2); // 6 rows
    const clf = make();
    const history = clf.train(X, y, { numIters: 3, batchSize: 20, seed: 1 });
    expect(history.every(Number.isFinite)).toBe(true);
    clf.dispose();
    X.dispose();
  });

  it('errors: predict before train, and X that does not fit W', () => {
    const clf = make();
    const X = tf.ones([4, 3]) as tf.Tensor2D;
    expect(() => clf.predict(X)).toThrow(/predict: the classifier has no weights yet; call train\(\) first/);
    clf.train(X, Int32Array.of(0, 1, 0, 1), { numIters: 1, batchSize: 2 });
    const wrong = tf.ones([2, 5]) as tf.Tensor2D;
    expect(() => clf.predict(wrong)).toThrow(/X must be \[N, 3\] to match W \[3,2\], got \[2,5\]/);
    expect(() => clf.train(wrong, Int32Array.of(0, 1))).toThrow(/does not fit the existing W \[3,2\]/);
    clf.dispose();
    tf.dispose([X, wrong]);
  });

  it('leaks no tensors through train, predict and dispose', () => {
    const rng = new Rng(10);
    const { X, y } = blobs(rng, 5);
    const before = tf.memory().numTensors;
    const clf = make();
    clf.train(X, y, { numIters: 5, batchSize: 4 });
    clf.predict(X);
    clf.dispose();
    expect(tf.memory().numTensors).toBe(before);
    X.dispose();
  });
});
