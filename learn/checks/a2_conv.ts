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
import { suspectHint } from '../hints';
import { CheckProblem, FORWARD_BOUND, SEED, backwardVsAutodiff, call, disposeAll, expectClose, expectThrows, gradients, layerForward, speedNote } from './common';
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

/**
 * The naive layers at the size `npm run convnet` times them (the notebook's "Fast layers": x [100, 31, 31, 3],
 * w [3, 3, 3, 25], stride 2, pad 1; pool x [100, 32, 32, 3], 2x2, stride 2), measured on one image of the 100.
 * The library's loops over plain numbers take under a second for all 100 on the cpu backend.
 */
const SLOW_BUDGET_S = 60;
const CONVNET = 'npm run convnet';

function timedConv(which: 'forward' | 'backward'): string | undefined {
  const rng = new Rng(SEED + 9);
  return tf.tidy(() => {
    const x = rng.randn([1, 31, 31, 3]) as tf.Tensor4D;
    const w = rng.randn([3, 3, 3, 25]) as tf.Tensor4D;
    const b = rng.randn([25]) as tf.Tensor1D;
    const cp: ConvParam = { stride: 2, pad: 1 };
    if (which === 'forward') return speedNote('convForwardNaive on x [100, 31, 31, 3]', CONVNET, 100, SLOW_BUDGET_S, () => convForwardNaive(x, w, b, cp));
    const fwd = convForwardNaive(x, w, b, cp);
    const dout = rng.randn(fwd.out.shape) as tf.Tensor4D;
    return speedNote('convBackwardNaive on x [100, 31, 31, 3]', CONVNET, 100, SLOW_BUDGET_S, () => convBackwardNaive(dout, fwd.cache));
  });
}

function timedPool(which: 'forward' | 'backward'): string | undefined {
  const rng = new Rng(SEED + 9);
  return tf.tidy(() => {
    const x = rng.randn([1, 32, 32, 3]) as tf.Tensor4D;
    const pp: PoolParam = { poolHeight: 2, poolWidth: 2, stride: 2 };
    if (which === 'forward') return speedNote('maxPoolForwardNaive on x [100, 32, 32, 3]', CONVNET, 100, SLOW_BUDGET_S, () => maxPoolForwardNaive(x, pp));
    const fwd = maxPoolForwardNaive(x, pp);
    const dout = rng.randn(fwd.out.shape) as tf.Tensor4D;
    return speedNote('maxPoolBackwardNaive on x [100, 32, 32, 3]', CONVNET, 100, SLOW_BUDGET_S, () => maxPoolBackwardNaive(dout, fwd.cache));
  });
}

function convForwardCheck(): string | undefined {
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
  return timedConv('forward');
}

function convBackwardCheck(): string | undefined {
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
  return timedConv('backward');
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

function poolForwardCheck(): string | undefined {
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
  return timedPool('forward');
}

/**
 * Whether dx routes each window's gradient as a subgradient of the max: all of it to any one of the window's
 * tied maxima (the first, as autodiff routes it, or any other), or split evenly among them (as the library's
 * layers do); nothing to an entry that is no maximum. Windows must not overlap (the tied case's 2x2, stride 2).
 * Returns the first window that does neither, in words, or undefined.
 */
function tiedWindowProblem(xs: ArrayLike<number>, ds: ArrayLike<number>, dx: ArrayLike<number>, shape: number[], pp: PoolParam): string | undefined {
  const [N, H, W, C] = shape;
  const { poolHeight: ph, poolWidth: pw, stride } = pp;
  const [Ho, Wo] = [Math.floor((H - ph) / stride) + 1, Math.floor((W - pw) / stride) + 1];
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        for (let c = 0; c < C; c++) {
          const at: number[] = [];
          for (let a = 0; a < ph; a++) for (let b = 0; b < pw; b++) at.push(((n * H + i * stride + a) * W + j * stride + b) * C + c);
          const best = Math.max(...at.map((k) => xs[k]));
          const maxima = at.filter((k) => xs[k] === best);
          const d = ds[((n * Ho + i) * Wo + j) * C + c];
          const toOthers = at.some((k) => xs[k] !== best && !close(dx[k], 0));
          const one = maxima.filter((k) => close(dx[k], d)).length === 1 && maxima.filter((k) => close(dx[k], 0)).length === maxima.length - 1;
          const split = maxima.every((k) => close(dx[k], d / maxima.length));
          if (toOthers || !(one || split)) {
            return `window (n ${n}, row ${i}, col ${j}, channel ${c}) with ${maxima.length} tied maxima and upstream ${d.toPrecision(4)} gets [${at.map((k) => dx[k].toPrecision(4))}]`;
          }
        }
      }
    }
  }
  return undefined;
}

/**
 * Tied maxima: a window's gradient may go to any one of its maxima (autodiff routes it to the first) or be split
 * evenly among them (as the library's layers do); each is a subgradient of the max, and each passes. The whole
 * gradient to every tied maximum passes none.
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
    const problem = tiedWindowProblem(xs, ds, dx.dataSync(), x.shape, c.pp);
    if (problem !== undefined) {
      const errors = (['first', 'split'] as const).map((ties) => relError(dx, maxPoolBackwardPlain(xs, ds, x.shape, c.pp, ties)).norm);
      const whole = relError(dx, maxPoolBackwardPlain(xs, ds, x.shape, c.pp, 'all')).norm <= AUTODIFF_BOUND;
      throw new CheckProblem(
        `dx (${c.label}): rel error ${errors[0].toExponential(1)} vs the first maximum per window, ${errors[1].toExponential(1)} vs an even split; ` +
          `${problem}${whole ? '; hint: it matches the whole gradient given to every tied maximum: give it to one of them, or share it evenly' : ''}`,
      );
    }
  } finally {
    disposeAll(got);
    disposeAll(fwd, [x]);
    tf.dispose([x, dout]);
  }
}

function poolBackwardCheck(): string | undefined {
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
  return timedPool('backward');
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
    // The course's NCHW habit carried over: channels moved to axis 1 before the reshape to rows, which mixes them.
    const nchwRows = () => {
      const [N, H, W, C] = x.shape;
      const rows = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [N * H * W, C]);
      const { mean, variance } = tf.moments(rows, 0);
      return tf.reshape(tf.add(tf.mul(tf.div(tf.sub(rows, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta), x.shape);
    };
    const suspects = [{ says: 'x transposed to [N, C, H, W] before the reshape to rows; NHWC reshapes to [N*H*W, C] as it is', value: nchwRows }];
    layerForward('out (train, x [2, 3, 5, 4])', got?.out, () => spatialBatchnormRef(x, gamma, beta), (g) => suspectHint(g, suspects));
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
      // Groups of every G-th channel instead of C/G neighbouring ones: the reshape's last two axes swapped.
      const interleaved = () => {
        const [N, H, W, C] = x.shape;
        const xg = tf.reshape(x, [N, H, W, C / G, G]);
        const { mean, variance } = tf.moments(xg, [1, 2, 3], true);
        return tf.add(tf.mul(tf.reshape(tf.div(tf.sub(xg, mean), tf.sqrt(tf.add(variance, 1e-5))), x.shape), gamma), beta);
      };
      const suspects = G > 1 && G < x.shape[3] ? [{ says: 'groups of every G-th channel; a group is C/G neighbouring channels', value: interleaved }] : [];
      layerForward(`out (G=${G}, x [2, 3, 5, 4])`, got?.out, () => spatialGroupnormRef(x, gamma, beta, G), (g) => suspectHint(g, suspects));
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

export const CHECKS: Record<string, () => string | undefined | void> = {
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
