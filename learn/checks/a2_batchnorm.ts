/**
 * Checks of A2 Q2 (BatchNormalization): batchnorm's forward in train and test mode with the default momentum and
 * epsilon (one feature with a tiny variance, where epsilon matters), its running averages against the formula on
 * plain numbers, test mode leaving them untouched; both backward passes (train and test mode) against tf.grads;
 * layernorm likewise; and the fully connected net with each normalisation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { batchnormRef, batchnormTestRef, layernormRef } from '../../reference/layers_dense';
import { columnStatsPlain } from '../../reference/plain';
import { BnParam, batchnormBackward, batchnormBackwardAlt, batchnormForward } from '../../src/layers/batchnorm';
import { layernormBackward, layernormForward } from '../../src/layers/layernorm';
import { Suspect, suspectHint } from '../hints';
import { CheckProblem, FORWARD_BOUND, SEED, backwardVsAutodiff, call, disposeAll, expectClose, expectThrows, gradients, layerForward } from './common';
import { fcNetLoss } from './models';

/** The course's defaults, written out here. */
const MOMENTUM = 0.9;
const EPS = 1e-5;

/** x [6, 5] with shifted, scaled columns; the last column varies by about 1e-3, so that its variance is near eps. */
export function normInputs(rng: Rng): { x: tf.Tensor2D; gamma: tf.Tensor1D; beta: tf.Tensor1D } {
  return tf.tidy(() => {
    const scale = tf.tensor1d([2, 1, 3, 0.5, 1e-3]);
    return { x: tf.add(tf.mul(rng.randn([6, 5]), scale), rng.randn([5], 3)) as tf.Tensor2D, gamma: rng.randn([5]) as tf.Tensor1D, beta: rng.randn([5]) as tf.Tensor1D };
  });
}

/**
 * The usual mistakes of a normalisation's forward pass, computed here on x: statistics over the other axis,
 * the unbiased variance, epsilon outside the square root or left out. axis: the one the statistics run over
 * (0 for batchnorm, 1 for layernorm); gamma and beta scale and shift the columns either way.
 */
function normSuspects(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, axis: 0 | 1, eps = EPS): Suspect[] {
  const norm = (ax: 0 | 1, scale: (variance: tf.Tensor) => tf.Tensor) => () => {
    const centred = tf.sub(x, tf.mean(x, ax, true));
    return tf.add(tf.mul(tf.div(centred, scale(tf.mean(tf.square(centred), ax, true))), gamma), beta);
  };
  const n = x.shape[axis];
  return [
    { says: `statistics over axis ${1 - axis}; ${axis === 0 ? 'batchnorm normalises each feature (column) over the batch' : 'layernorm normalises each example (row) over its features'}`, value: norm(axis === 0 ? 1 : 0, (v) => tf.sqrt(tf.add(v, eps))) },
    { says: `the unbiased variance (divided by N - 1 = ${n - 1}); the course divides by N = ${n}`, value: norm(axis, (v) => tf.sqrt(tf.add(tf.mul(v, n / (n - 1)), eps))) },
    { says: 'epsilon added outside the square root; it goes inside: sqrt(var + eps)', value: norm(axis, (v) => tf.add(tf.sqrt(v), eps)) },
    { says: 'no epsilon; it goes inside the square root: sqrt(var + eps)', value: norm(axis, (v) => tf.sqrt(v)) },
  ];
}

function batchnormForwardCheck(): void {
  const rng = new Rng(SEED);
  const { x, gamma, beta } = normInputs(rng);
  const x2 = tf.tidy(() => tf.add(tf.mul(x, 1.5), 0.3) as tf.Tensor2D);
  const bn: BnParam = { mode: 'train' };
  try {
    const first = call('batchnormForward', { x, gamma, beta }, () => batchnormForward(x, gamma, beta, bn), [bn]);
    layerForward('out (train)', first?.out, () => batchnormRef(x, gamma, beta), (g) => suspectHint(g, normSuspects(x, gamma, beta, 0)));
    disposeAll(first, [x, gamma, beta, bn.runningMean!, bn.runningVar!].filter((t) => t !== undefined));
    disposeAll(call('batchnormForward', { x: x2, gamma, beta }, () => batchnormForward(x2, gamma, beta, bn), [bn]), [x2, gamma, beta, bn.runningMean!, bn.runningVar!].filter((t) => t !== undefined));
    // Two train-mode passes from zeros with the default momentum.
    const s1 = columnStatsPlain(x.dataSync(), 6, 5);
    const s2 = columnStatsPlain(x2.dataSync(), 6, 5);
    const rm = s1.mean.map((m, j) => MOMENTUM * (1 - MOMENTUM) * m + (1 - MOMENTUM) * s2.mean[j]);
    const rv = s1.variance.map((v, j) => MOMENTUM * (1 - MOMENTUM) * v + (1 - MOMENTUM) * s2.variance[j]);
    for (const [k, want] of [['runningMean', rm], ['runningVar', rv]] as const) {
      const got = bn[k];
      if (!(got instanceof tf.Tensor)) throw new CheckProblem(`bnParam.${k}: not set after a train-mode pass (start it at zeros)`);
      tf.tidy(() => expectClose(`bnParam.${k} (default momentum 0.9)`, got, tf.tensor1d(want), FORWARD_BOUND, 'the running average of the batch statistics'));
    }
    bn.mode = 'test';
    const before = [bn.runningMean!.dataSync().slice(), bn.runningVar!.dataSync().slice()];
    const test = call('batchnormForward', { x, gamma, beta }, () => batchnormForward(x, gamma, beta, bn), [bn]);
    tf.tidy(() => expectClose('out (test)', test?.out, batchnormTestRef(x, gamma, beta, tf.tensor1d(rm), tf.tensor1d(rv), EPS), FORWARD_BOUND, 'autodiff reference', () => 'test mode normalises with the running mean and variance, not the batch\'s'));
    disposeAll(test, [x, gamma, beta, bn.runningMean!, bn.runningVar!]);
    const after = [bn.runningMean!.dataSync(), bn.runningVar!.dataSync()];
    if (before.some((b, i) => b.some((v, j) => v !== after[i][j]))) throw new CheckProblem('bnParam.runningMean/runningVar: changed by a test-mode pass (test mode only reads them)');
    const other: BnParam = { mode: 'train', momentum: 0.5, eps: 1e-2 };
    const o = call('batchnormForward', { x, gamma, beta }, () => batchnormForward(x, gamma, beta, other), [other]);
    layerForward('out (train, eps 1e-2)', o.out, () => batchnormRef(x, gamma, beta, 1e-2), () => 'use bnParam.eps when it is given');
    tf.tidy(() => expectClose('bnParam.runningMean (momentum 0.5)', other.runningMean!, tf.tensor1d(s1.mean.map((m) => 0.5 * m)), FORWARD_BOUND, 'the running average', () => 'use bnParam.momentum when it is given'));
    disposeAll(o, [x, gamma, beta, other.runningMean!, other.runningVar!]);
    tf.dispose([other.runningMean, other.runningVar].filter((t): t is tf.Tensor1D => t !== undefined));
    expectThrows('batchnormForward with x [6, 5] and gamma [4]', () => batchnormForward(x, tf.ones([4]), beta, { mode: 'train' }));
  } finally {
    tf.dispose([x, x2, gamma, beta, ...[bn.runningMean, bn.runningVar].filter((t): t is tf.Tensor1D => t !== undefined)]);
  }
}

/** Both modes' backward passes against tf.grads of the reference (train: batch statistics; test: fixed ones). */
function batchnormBackwardCheck(alt: boolean): void {
  const fn = alt ? 'batchnormBackwardAlt' : 'batchnormBackward';
  const backward = alt ? batchnormBackwardAlt : batchnormBackward;
  const { x, gamma, beta } = normInputs(new Rng(SEED + 5));
  const bn: BnParam = { mode: 'train' };
  try {
    const fwd = batchnormForward(x, gamma, beta, bn);
    try {
      backwardVsAutodiff('train', { x, gamma, beta }, [6, 5], (dout) => backward(dout as tf.Tensor2D, fwd.cache), (p) => batchnormRef(p.x, p.gamma, p.beta), { dx: 'x', dgamma: 'gamma', dbeta: 'beta' }, fn);
    } finally {
      disposeAll(fwd, [x, gamma, beta, bn.runningMean!, bn.runningVar!]);
    }
    bn.mode = 'test';
    const rm = bn.runningMean!;
    const rv = bn.runningVar!;
    const test = batchnormForward(x, gamma, beta, bn);
    try {
      backwardVsAutodiff('test mode', { x, gamma, beta }, [6, 5], (dout) => backward(dout as tf.Tensor2D, test.cache), (p) => batchnormTestRef(p.x, p.gamma, p.beta, rm, rv), { dx: 'x', dgamma: 'gamma', dbeta: 'beta' }, fn);
    } finally {
      disposeAll(test, [x, gamma, beta, rm, rv]);
    }
  } finally {
    tf.dispose([x, gamma, beta, ...[bn.runningMean, bn.runningVar].filter((t): t is tf.Tensor1D => t !== undefined)]);
  }
}

function layernormForwardCheck(): void {
  const rng = new Rng(SEED);
  // Rows as features: transposed, the tiny-variance column becomes a tiny-variance row.
  const { x: xt, gamma, beta } = normInputs(rng);
  const x = tf.transpose(xt) as tf.Tensor2D;
  const g = rng.randn([6]) as tf.Tensor1D;
  const b = rng.randn([6]) as tf.Tensor1D;
  try {
    const got = call('layernormForward', { x, gamma: g, beta: b }, () => layernormForward(x, g, b));
    layerForward('out', got?.out, () => layernormRef(x, g, b), (o) => suspectHint(o, normSuspects(x, g, b, 1)));
    disposeAll(got, [x, g, b]);
  } finally {
    tf.dispose([x, xt, gamma, beta, g, b]);
  }
}

function layernormBackwardCheck(): void {
  const { x: xt, gamma, beta } = normInputs(new Rng(SEED + 5));
  const x = tf.transpose(xt) as tf.Tensor2D;
  const rng = new Rng(SEED + 6);
  const g = rng.randn([6]) as tf.Tensor1D;
  const b = rng.randn([6]) as tf.Tensor1D;
  const fwd = layernormForward(x, g, b);
  try {
    backwardVsAutodiff('x [5, 6]', { x, gamma: g, beta: b }, [5, 6], (dout) => layernormBackward(dout as tf.Tensor2D, fwd.cache), (p) => layernormRef(p.x, p.gamma, p.beta), { dx: 'x', dgamma: 'gamma', dbeta: 'beta' }, 'layernormBackward');
  } finally {
    disposeAll(fwd, [x, g, b]);
    tf.dispose([x, xt, gamma, beta, g, b]);
  }
}

export const CHECKS: Record<string, () => void> = {
  batchnorm_forward: batchnormForwardCheck,
  batchnorm_backward: () => {
    batchnormBackwardCheck(false);
    gradients('batchnorm (graph backward)');
    fcNetLoss('batchnorm');
  },
  batchnorm_backward_alt: () => {
    batchnormBackwardCheck(true);
    gradients('batchnorm (alt backward)');
  },
  layernorm_forward: layernormForwardCheck,
  layernorm_backward: () => {
    layernormBackwardCheck();
    gradients('layernorm');
    fcNetLoss('layernorm');
  },
};
