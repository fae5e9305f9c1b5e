/**
 * Checks of A2 Q4 (ConvolutionalNetworks): the naive conv and max-pool passes against the autodiff reference on
 * non-square inputs, several strides and pads (not only stride 1, pad 1), a non-square filter, overlapping pool
 * windows and tied maxima; the three-layer convnet; spatial batchnorm and groupnorm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { convRef, maxPoolRef, spatialBatchnormRef, spatialGroupnormRef } from '../../reference/layers_conv';
import { batchnormTestRef } from '../../reference/layers_dense';
import { ConvParam, convBackwardNaive, convForwardNaive } from '../../src/layers/conv_naive';
import { PoolParam, maxPoolBackwardNaive, maxPoolForwardNaive } from '../../src/layers/pool_naive';
import { BnParam } from '../../src/layers/batchnorm';
import { spatialBatchnormBackward, spatialBatchnormForward } from '../../src/layers/spatial_batchnorm';
import { spatialGroupnormBackward, spatialGroupnormForward } from '../../src/layers/spatial_groupnorm';
import { CheckProblem, FORWARD_BOUND, SEED, backwardVsAutodiff, call, disposeAll, expectClose, expectThrows, gradients, layerForward } from './common';
import { threeLayerConvNetLoss } from './models';
import { maxPoolBackwardPlain } from '../../reference/plain';
import { AUTODIFF_BOUND, relError } from '../../src/gradcheck';

/** Non-square images [2, 5, 7, 3] and filters that fit them exactly at each stride and pad. */
const CONV_CASES: Array<{ label: string; w: number[]; cp: ConvParam }> = [
  { label: 'stride 1, pad 1', w: [3, 3, 3, 2], cp: { stride: 1, pad: 1 } },
  { label: 'stride 2, pad 0', w: [3, 3, 3, 2], cp: { stride: 2, pad: 0 } },
  { label: 'stride 2, pad 1', w: [3, 3, 3, 2], cp: { stride: 2, pad: 1 } },
  { label: 'stride 1, pad 2', w: [3, 3, 3, 2], cp: { stride: 1, pad: 2 } },
  { label: 'filter 3x1, stride 2, pad 0', w: [3, 1, 3, 2], cp: { stride: 2, pad: 0 } },
];

function convInputs(seed: number, wShape: number[]): { x: tf.Tensor4D; w: tf.Tensor4D; b: tf.Tensor1D } {
  const rng = new Rng(seed);
  return { x: rng.randn([2, 5, 7, 3]) as tf.Tensor4D, w: rng.randn(wShape) as tf.Tensor4D, b: rng.randn([wShape[3]]) as tf.Tensor1D };
}

function convForwardCheck(): void {
  for (const c of CONV_CASES) {
    const { x, w, b } = convInputs(SEED, c.w);
    try {
      const got = call('convForwardNaive', { x, w, b }, () => convForwardNaive(x, w, b, c.cp));
      layerForward(`out (x [2, 5, 7, 3], ${c.label})`, got?.out, () => convRef(x, w, b, c.cp));
      disposeAll(got, [x, w, b]);
      if (c === CONV_CASES[0]) expectThrows('convForwardNaive with x [2, 5, 7, 3] and w [3, 3, 2, 2]', () => convForwardNaive(x, tf.zeros([3, 3, 2, 2]), b, c.cp));
    } finally {
      tf.dispose([x, w, b]);
    }
  }
}

function convBackwardCheck(): void {
  for (const c of CONV_CASES) {
    const { x, w, b } = convInputs(SEED + 5, c.w);
    const fwd = convForwardNaive(x, w, b, c.cp);
    try {
      backwardVsAutodiff(`x [2, 5, 7, 3], ${c.label}`, { x, w, b }, fwd.out.shape, (dout) => convBackwardNaive(dout as tf.Tensor4D, fwd.cache), (p) => convRef(p.x, p.w, p.b, c.cp), { dx: 'x', dw: 'w', db: 'b' }, 'convBackwardNaive');
    } finally {
      disposeAll(fwd, [x, w, b]);
      tf.dispose([x, w, b]);
    }
  }
  gradients('conv naive (stride 1, pad 1)');
}

/** Overlapping windows (stride below the window), disjoint ones, and an input with many tied maxima. */
const POOL_CASES: Array<{ label: string; shape: number[]; pp: PoolParam; ties?: boolean }> = [
  { label: '2x2, stride 2', shape: [2, 4, 6, 3], pp: { poolHeight: 2, poolWidth: 2, stride: 2 } },
  { label: '2x2, stride 1 (overlapping)', shape: [2, 5, 7, 3], pp: { poolHeight: 2, poolWidth: 2, stride: 1 } },
  { label: '3x2, stride 2 (overlapping)', shape: [2, 5, 8, 3], pp: { poolHeight: 3, poolWidth: 2, stride: 2 } },
  { label: '2x2, stride 2, tied maxima', shape: [2, 4, 6, 3], pp: { poolHeight: 2, poolWidth: 2, stride: 2 }, ties: true },
];

function poolInput(seed: number, c: (typeof POOL_CASES)[number]): tf.Tensor4D {
  const x = new Rng(seed).randn(c.shape) as tf.Tensor4D;
  if (!c.ties) return x;
  const tied = tf.tidy(() => tf.round(tf.mul(x, 0.7)) as tf.Tensor4D);
  x.dispose();
  return tied;
}

function poolForwardCheck(): void {
  for (const c of POOL_CASES) {
    const x = poolInput(SEED, c);
    try {
      const got = call('maxPoolForwardNaive', { x }, () => maxPoolForwardNaive(x, c.pp));
      layerForward(`out (${c.label})`, got?.out, () => maxPoolRef(x, c.pp));
      disposeAll(got, [x]);
    } finally {
      x.dispose();
    }
  }
}

/**
 * Tied maxima: a window's gradient may go to one of its maxima (as autodiff routes it) or be split evenly among
 * them (as the library's layers do); either is a subgradient of the max, and either passes. The whole gradient to
 * every tied maximum passes neither.
 */
function poolTiesBackwardCheck(c: (typeof POOL_CASES)[number]): void {
  const x = poolInput(SEED + 5, c);
  const fwd = maxPoolForwardNaive(x, c.pp);
  const dout = new Rng(SEED + 7).randn(fwd.out.shape) as tf.Tensor4D;
  let got: { dx: tf.Tensor } | undefined;
  try {
    got = call('maxPoolBackwardNaive', { dout, x }, () => maxPoolBackwardNaive(dout, fwd.cache));
    if (!(got?.dx instanceof tf.Tensor)) throw new CheckProblem(`dx (${c.label}): missing from what maxPoolBackwardNaive returns`);
    const [xs, ds] = [x.dataSync(), dout.dataSync()];
    if (got.dx.shape.join() !== x.shape.join()) throw new CheckProblem(`dx (${c.label}): shape [${got.dx.shape}], expected [${x.shape}]`);
    const dx = got.dx;
    const errors = (['first', 'split'] as const).map((ties) => relError(dx, maxPoolBackwardPlain(xs, ds, x.shape, c.pp, ties)).norm);
    if (!(Math.min(...errors) <= AUTODIFF_BOUND)) {
      throw new CheckProblem(
        `dx (${c.label}): rel error ${errors[0].toExponential(1)} vs one maximum per window, ${errors[1].toExponential(1)} vs an even split ` +
          `(bound ${AUTODIFF_BOUND.toExponential(0)}); with tied maxima, give each window's gradient to one of them or share it evenly, never the whole of it to each`,
      );
    }
  } finally {
    disposeAll(got);
    disposeAll(fwd, [x]);
    tf.dispose([x, dout]);
  }
}

function poolBackwardCheck(): void {
  for (const c of POOL_CASES) {
    if (c.ties) {
      poolTiesBackwardCheck(c);
      continue;
    }
    const x = poolInput(SEED + 5, c);
    const fwd = maxPoolForwardNaive(x, c.pp);
    try {
      backwardVsAutodiff(c.label, { x }, fwd.out.shape, (dout) => maxPoolBackwardNaive(dout as tf.Tensor4D, fwd.cache), (p) => maxPoolRef(p.x, c.pp), { dx: 'x' }, 'maxPoolBackwardNaive');
    } finally {
      disposeAll(fwd, [x]);
      x.dispose();
    }
  }
  gradients('max pool naive (2x2, stride 2)');
}

function spatialInputs(seed: number): { x: tf.Tensor4D; gamma: tf.Tensor1D; beta: tf.Tensor1D } {
  const rng = new Rng(seed);
  return tf.tidy(() => ({
    x: tf.add(tf.mul(rng.randn([2, 3, 5, 4]), tf.tensor1d([2, 1, 3, 1e-3])), rng.randn([4], 3)) as tf.Tensor4D,
    gamma: rng.randn([4]) as tf.Tensor1D,
    beta: rng.randn([4]) as tf.Tensor1D,
  }));
}

function spatialBatchnormForwardCheck(): void {
  const { x, gamma, beta } = spatialInputs(SEED);
  const bn: BnParam = { mode: 'train' };
  try {
    const got = call('spatialBatchnormForward', { x, gamma, beta }, () => spatialBatchnormForward(x, gamma, beta, bn), [bn]);
    layerForward('out (train, x [2, 3, 5, 4])', got?.out, () => spatialBatchnormRef(x, gamma, beta), () => 'statistics per channel, over N, H and W: reshape [N, H, W, C] to [N*H*W, C] for batchnorm');
    disposeAll(got, [x, gamma, beta, bn.runningMean!, bn.runningVar!].filter((t) => t !== undefined));
    if (!(bn.runningMean instanceof tf.Tensor) || !(bn.runningVar instanceof tf.Tensor)) throw new CheckProblem('bnParam.runningMean/runningVar: not set after a train-mode pass');
    const { mean, variance } = tf.tidy(() => tf.moments(x, [0, 1, 2]));
    try {
      tf.tidy(() => expectClose('bnParam.runningMean (default momentum 0.9)', bn.runningMean!, tf.mul(mean, 0.1), FORWARD_BOUND, 'the running average of the batch statistics'));
      bn.mode = 'test';
      const test = call('spatialBatchnormForward', { x, gamma, beta }, () => spatialBatchnormForward(x, gamma, beta, bn), [bn]);
      tf.tidy(() => {
        const want = tf.reshape(batchnormTestRef(tf.reshape(x, [-1, 4]), gamma, beta, tf.mul(mean, 0.1), tf.mul(variance, 0.1)), x.shape);
        expectClose('out (test)', test?.out, want, FORWARD_BOUND, 'autodiff reference');
      });
      disposeAll(test, [x, gamma, beta, bn.runningMean, bn.runningVar]);
    } finally {
      tf.dispose([mean, variance]);
    }
  } finally {
    tf.dispose([x, gamma, beta, ...[bn.runningMean, bn.runningVar].filter((t): t is tf.Tensor1D => t !== undefined)]);
  }
}

function spatialBatchnormBackwardCheck(): void {
  const { x, gamma, beta } = spatialInputs(SEED + 5);
  const bn: BnParam = { mode: 'train' };
  const fwd = spatialBatchnormForward(x, gamma, beta, bn);
  try {
    backwardVsAutodiff('x [2, 3, 5, 4]', { x, gamma, beta }, x.shape, (dout) => spatialBatchnormBackward(dout as tf.Tensor4D, fwd.cache), (p) => spatialBatchnormRef(p.x, p.gamma, p.beta), { dx: 'x', dgamma: 'gamma', dbeta: 'beta' }, 'spatialBatchnormBackward');
  } finally {
    disposeAll(fwd, [x, gamma, beta]);
    tf.dispose([x, gamma, beta, ...[bn.runningMean, bn.runningVar].filter((t): t is tf.Tensor1D => t !== undefined)]);
  }
  gradients('spatial batchnorm');
}

function spatialGroupnormForwardCheck(): void {
  const { x, gamma, beta } = spatialInputs(SEED);
  try {
    for (const G of [1, 2, 4]) {
      const got = call('spatialGroupnormForward', { x, gamma, beta }, () => spatialGroupnormForward(x, gamma, beta, G));
      layerForward(`out (G=${G}, x [2, 3, 5, 4])`, got?.out, () => spatialGroupnormRef(x, gamma, beta, G), () => 'statistics per example and per group of C/G neighbouring channels, over H, W and the group');
      disposeAll(got, [x, gamma, beta]);
    }
  } finally {
    tf.dispose([x, gamma, beta]);
  }
}

function spatialGroupnormBackwardCheck(): void {
  const { x, gamma, beta } = spatialInputs(SEED + 5);
  try {
    for (const G of [1, 2, 4]) {
      const fwd = spatialGroupnormForward(x, gamma, beta, G);
      try {
        backwardVsAutodiff(`G=${G}, x [2, 3, 5, 4]`, { x, gamma, beta }, x.shape, (dout) => spatialGroupnormBackward(dout as tf.Tensor4D, fwd.cache), (p) => spatialGroupnormRef(p.x, p.gamma, p.beta, G), { dx: 'x', dgamma: 'gamma', dbeta: 'beta' }, 'spatialGroupnormBackward');
      } finally {
        disposeAll(fwd, [x, gamma, beta]);
      }
    }
  } finally {
    tf.dispose([x, gamma, beta]);
  }
  ['spatial groupnorm (G=1)', 'spatial groupnorm (G=2)', 'spatial groupnorm (G=4)'].forEach(gradients);
}

export const CHECKS: Record<string, () => void> = {
  conv_forward_naive: convForwardCheck,
  conv_backward_naive: convBackwardCheck,
  max_pool_forward_naive: poolForwardCheck,
  max_pool_backward_naive: poolBackwardCheck,
  three_layer_convnet_loss: threeLayerConvNetLoss,
  spatial_batchnorm_forward: spatialBatchnormForwardCheck,
  spatial_batchnorm_backward: spatialBatchnormBackwardCheck,
  spatial_groupnorm_forward: spatialGroupnormForwardCheck,
  spatial_groupnorm_backward: spatialGroupnormBackwardCheck,
};
