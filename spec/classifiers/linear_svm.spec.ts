/**
 * Multiclass SVM loss of a linear classifier, as the notebook checks it: the loss at tiny random weights is about
 * C - 1, the naive and vectorised versions agree, the gradient passes a sparse numeric check and matches tfjs
 * autodiff, errors name the argument, and no tensors leak.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { AUTODIFF_BOUND, NUMERIC_BOUND, gradCheckSparse, relError } from '../../src/gradcheck';
import { svmLossNaive, svmLossVectorized } from '../../src/classifiers/linear_svm';
import { svmLossRef } from '../../reference/layers_dense';
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

describe('svmLossNaive / svmLossVectorized', () => {
  it('with tiny weights every margin is about 1, so the loss is about C - 1 = 9', () => {
    const { W, X, y } = problem(1, 30, 20, 10, 1e-4);
    for (const f of [svmLossNaive, svmLossVectorized]) {
      const { loss, dW } = f(W, X, y, 0);
      // scores are ~1e-4 * sqrt(20): each of the 9 margins is 1 give or take ~1e-3
      expect(Math.abs(loss - 9)).toBeLessThan(0.01);
      dW.dispose();
    }
    tf.dispose([W, X]);
  });

  it('naive and vectorised agree on loss and gradient, with and without regularisation', () => {
    // Larger weights so that some margins are violated and some not.
    const { W, X, y } = problem(2, 16, 12, 5, 0.3);
    for (const reg of [0, 0.7]) {
      const a = svmLossNaive(W, X, y, reg);
      const b = svmLossVectorized(W, X, y, reg);
      // same maths, float32 vs float64 accumulation
      expectWithin(`loss reg=${reg}`, relError([a.loss], [b.loss]).norm, AUTODIFF_BOUND);
      expectWithin(`dW reg=${reg}`, relError(a.dW, b.dW).norm, AUTODIFF_BOUND);
      tf.dispose([a.dW, b.dW]);
    }
    tf.dispose([W, X]);
  });

  it('regularisation adds reg * sum(W^2) to the loss and 2 reg W to the gradient', () => {
    const { W, X, y } = problem(3, 8, 6, 4, 0.2);
    const plain = svmLossVectorized(W, X, y, 0);
    const reg = 0.5;
    const withReg = svmLossVectorized(W, X, y, reg);
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
      const { dW } = svmLossVectorized(W, X, y, reg);
      const f = (w: tf.Tensor) => svmLossVectorized(w as tf.Tensor2D, X, y, reg).loss;
      const check = gradCheckSparse(f, W, dW, 12, (n) => rng.int(n));
      // h = 1e-2 in float32 (see src/gradcheck.ts); a kink crossed by the step would show as a large error here.
      expectWithin(`numeric reg=${reg}`, check.norm, NUMERIC_BOUND);
      dW.dispose();
    }
    tf.dispose([W, X]);
  });

  it('the vectorised gradient matches tfjs autodiff of the same loss', () => {
    const { W, X, y } = problem(5, 14, 9, 6, 0.3);
    const reg = 0.25;
    const { dW } = svmLossVectorized(W, X, y, reg);
    const yT = tf.tensor1d(y, 'int32');
    const auto = autodiffGrads(({ W: w }) => tf.add(svmLossRef(tf.matMul(X, w), yT), tf.mul(reg, tf.sum(tf.square(w)))), { W });
    expectWithin('dW vs autodiff', relError(dW, auto.W).norm, AUTODIFF_BOUND);
    tf.dispose([W, X, yT, dW, auto.W]);
  });

  it('takes labels as an int32 tensor too', () => {
    const { W, X, y } = problem(6, 5, 4, 3, 0.3);
    const yT = tf.tensor1d(y, 'int32');
    const a = svmLossVectorized(W, X, y, 0.1);
    const b = svmLossVectorized(W, X, yT, 0.1);
    expect(b.loss).toBe(a.loss);
    expect(relError(a.dW, b.dW).norm).toBe(0);
    tf.dispose([W, X, yT, a.dW, b.dW]);
  });

  it('errors name the function, the argument and what was received', () => {
    const { W, X } = problem(7, 4, 3, 2, 0.1);
    const Xbad = tf.zeros([4, 5]) as tf.Tensor2D;
    expect(() => svmLossVectorized(W, Xbad, Int32Array.of(0, 1, 0, 1), 0)).toThrow(/svmLossVectorized: X must be \[N, 3\] to match W \[3,2\], got \[4,5\]/);
    expect(() => svmLossNaive(W, X, Int32Array.of(0, 1, 2, 1), 0)).toThrow(/svmLossNaive: y\[2\] = 2 is out of range; labels must be in 0..1/);
    expect(() => svmLossNaive(W, X, Int32Array.of(0, 1), 0)).toThrow(/y must be \[N\] with N = 4, one label per example, got 2 labels/);
    tf.dispose([W, X, Xbad]);
  });

  it('leaks no tensors: only dW is returned, and disposing it restores the count', () => {
    const { W, X, y } = problem(8, 6, 5, 3, 0.1);
    const before = tf.memory().numTensors;
    svmLossNaive(W, X, y, 0.1).dW.dispose();
    svmLossVectorized(W, X, y, 0.1).dW.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([W, X]);
  });
});
