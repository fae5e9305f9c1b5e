/**
 * Softmax loss of a linear classifier, as the notebook checks it: the loss at tiny random weights is about
 * ln C, the naive and vectorised versions agree, the gradient passes a sparse numeric check and matches tfjs
 * autodiff, errors name the argument, and no tensors leak.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { AUTODIFF_BOUND, NUMERIC_BOUND, gradCheckSparse, relError } from '../../src/gradcheck';
import { softmaxLossNaive, softmaxLossVectorized } from '../../src/classifiers/softmax';
import { softmaxLossRef } from '../../reference/layers_dense';
import { autodiffGrads } from '../../reference/crosscheck';
import { expectWithin } from '../support/expect';

beforeAll(async () => {
  await useBackend();
});

/** N examples of dimension D with C classes; W ~ N(0, wStd^2). */
function problem(seed: number, n: number, d: number, c: number, wStd: number) {
  const rng = new Rng(seed);
  return {
    rng,
    W: rng.randn([d, c], wStd) as tf.Tensor2D,
    X: rng.randn([n, d]) as tf.Tensor2D,
    y: rng.choice(c, n),
  };
}

describe('softmaxLossNaive / softmaxLossVectorized', () => {
  it('with tiny weights every class is about equally likely, so the loss is about -ln(1/10) = ln 10', () => {
    const { W, X, y } = problem(1, 30, 20, 10, 1e-4);
    for (const f of [softmaxLossNaive, softmaxLossVectorized]) {
      const { loss, dW } = f(W, X, y, 0);
      // scores are ~1e-4 * sqrt(20), so every probability is 1/10 give or take ~1e-4
      expect(Math.abs(loss - Math.log(10))).toBeLessThan(1e-3);
      dW.dispose();
    }
    tf.dispose([W, X]);
  });

  it('stays finite for huge scores: the max is subtracted before exp', () => {
    const { W, X, y } = problem(9, 6, 5, 4, 300);
    for (const f of [softmaxLossNaive, softmaxLossVectorized]) {
      const { loss, dW } = f(W, X, y, 0);
      expect(Number.isFinite(loss)).toBe(true);
      expect(Array.from(dW.dataSync()).every(Number.isFinite)).toBe(true);
      dW.dispose();
    }
    tf.dispose([W, X]);
  });

  it('without regularisation every row of dW sums to zero over the classes', () => {
    const { W, X, y } = problem(10, 7, 5, 4, 0.5);
    const { dW } = softmaxLossVectorized(W, X, y, 0);
    const rowSums = tf.tidy(() => tf.sum(dW, 1));
    // Each row d of dW is sum_i x_id (p_i - y_i) / N, and every (p_i - y_i) sums to zero over classes.
    expect(Math.max(...Array.from(rowSums.dataSync()).map(Math.abs))).toBeLessThan(1e-6);
    tf.dispose([W, X, dW, rowSums]);
  });

  it('naive and vectorised agree on loss and gradient, with and without regularisation', () => {
    const { W, X, y } = problem(2, 16, 12, 5, 0.3);
    for (const reg of [0, 0.7]) {
      const a = softmaxLossNaive(W, X, y, reg);
      const b = softmaxLossVectorized(W, X, y, reg);
      // same maths, float32 vs float64 accumulation
      expectWithin(`loss reg=${reg}`, relError([a.loss], [b.loss]).norm, AUTODIFF_BOUND);
      expectWithin(`dW reg=${reg}`, relError(a.dW, b.dW).norm, AUTODIFF_BOUND);
      tf.dispose([a.dW, b.dW]);
    }
    tf.dispose([W, X]);
  });

  it('regularisation adds reg * sum(W^2) to the loss and 2 reg W to the gradient', () => {
    const { W, X, y } = problem(3, 8, 6, 4, 0.2);
    const plain = softmaxLossVectorized(W, X, y, 0);
    const reg = 0.5;
    const withReg = softmaxLossVectorized(W, X, y, reg);
    const sumSq = tf.tidy(() => tf.sum(tf.square(W)).dataSync()[0]);
    expect(withReg.loss - plain.loss).toBeCloseTo(reg * sumSq, 5);
    tf.tidy(() => {
      expect(relError(tf.sub(withReg.dW, plain.dW), tf.mul(2 * reg, W)).norm).toBeLessThan(1e-6);
    });
    tf.dispose([W, X, plain.dW, withReg.dW]);
  });

  it('the vectorised gradient passes a sparse numeric check (grad_check_sparse)', () => {
    const { rng, W, X, y } = problem(4, 10, 8, 4, 0.3);
    for (const reg of [0, 0.5]) {
      const { dW } = softmaxLossVectorized(W, X, y, reg);
      const f = (w: tf.Tensor) => softmaxLossVectorized(w as tf.Tensor2D, X, y, reg).loss;
      const check = gradCheckSparse(f, W, dW, 12, (n) => rng.int(n));
      // h = 1e-2 in float32 (see src/gradcheck.ts); the softmax loss is smooth, so truncation error is ~h^2.
      expectWithin(`numeric reg=${reg}`, check.norm, NUMERIC_BOUND);
      dW.dispose();
    }
    tf.dispose([W, X]);
  });

  it('the vectorised gradient matches tfjs autodiff of the same loss', () => {
    const { W, X, y } = problem(5, 14, 9, 6, 0.3);
    const reg = 0.25;
    const { dW } = softmaxLossVectorized(W, X, y, reg);
    const yT = tf.tensor1d(y, 'int32');
    const auto = autodiffGrads(({ W: w }) => tf.add(softmaxLossRef(tf.matMul(X, w), yT), tf.mul(reg, tf.sum(tf.square(w)))), { W });
    expectWithin('dW vs autodiff', relError(dW, auto.W).norm, AUTODIFF_BOUND);
    tf.dispose([W, X, yT, dW, auto.W]);
  });

  it('takes labels as an int32 tensor too', () => {
    const { W, X, y } = problem(6, 5, 4, 3, 0.3);
    const yT = tf.tensor1d(y, 'int32');
    const a = softmaxLossVectorized(W, X, y, 0.1);
    const b = softmaxLossVectorized(W, X, yT, 0.1);
    expect(b.loss).toBe(a.loss);
    expect(relError(a.dW, b.dW).norm).toBe(0);
    tf.dispose([W, X, yT, a.dW, b.dW]);
  });

  it('errors name the function, the argument and what was received', () => {
    const { W, X } = problem(7, 4, 3, 2, 0.1);
    const Xbad = tf.zeros([4, 5]) as tf.Tensor2D;
    expect(() => softmaxLossVectorized(W, Xbad, Int32Array.of(0, 1, 0, 1), 0)).toThrow(/softmaxLossVectorized: X must be \[N, 3\] to match W \[3,2\], got \[4,5\]/);
    expect(() => softmaxLossNaive(W, X, Int32Array.of(0, 1, 2, 1), 0)).toThrow(/softmaxLossNaive: y\[2\] = 2 is out of range; labels must be in 0..1/);
    expect(() => softmaxLossNaive(W, X, Int32Array.of(0, 1), 0)).toThrow(/y must be \[N\] with N = 4, one label per example, got 2 labels/);
    tf.dispose([W, X, Xbad]);
  });

  it('leaks no tensors: only dW is returned, and disposing it restores the count', () => {
    const { W, X, y } = problem(8, 6, 5, 3, 0.1);
    const before = tf.memory().numTensors;
    softmaxLossNaive(W, X, y, 0.1).dW.dispose();
    softmaxLossVectorized(W, X, y, 0.1).dW.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([W, X]);
  });
});
