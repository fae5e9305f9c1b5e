/**
 * Checks of the exercises beyond the course (the layers of `npm run train`'s nets, the airbench recipe's update
 * rule): global average pooling and label-smoothed softmax against the autodiff reference and tf.grads, the
 * residual block's backward pass through the catalogue (with and without the skip), GELU's backward against
 * tf.grads, and Nesterov momentum against tfjs's own optimizer and a float64 loop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { globalAvgPoolRef } from '../../reference/layers_conv';
import { geluRef, smoothedSoftmaxLossRef } from '../../reference/layers_dense';
import { nesterovRef } from '../../reference/optim';
import { geluBackward, geluForward } from '../../src/layers/gelu';
import { sgdNesterov } from '../../src/optim/sgd_nesterov';
import { autodiffGrads } from '../../reference/crosscheck';
import { AUTODIFF_BOUND } from '../../src/gradcheck';
import { globalAvgPoolBackward, globalAvgPoolForward } from '../../src/layers/global_avg_pool';
import { smoothedSoftmaxLoss } from '../../src/layers/label_smoothing';
import { CheckProblem, SEED, backwardVsAutodiff, call, disposeAll, expectClose, gradients, labels, layerForward, FORWARD_BOUND } from './common';
import { overflowHint, suspectHint } from '../hints';

function globalAvgPool(): void {
  const x = new Rng(SEED).randn([2, 3, 4, 5]) as tf.Tensor4D;
  try {
    const got = call('globalAvgPoolForward', { x }, () => globalAvgPoolForward(x));
    layerForward('out (x [2, 3, 4, 5])', got?.out, () => globalAvgPoolRef(x), () => 'the mean over H and W (axes 1 and 2), one value per example and channel');
    const fwd = globalAvgPoolForward(x);
    try {
      backwardVsAutodiff('x [2, 3, 4, 5]', { x }, [2, 5], (dout) => globalAvgPoolBackward(dout as tf.Tensor2D, fwd.cache), (p) => globalAvgPoolRef(p.x), { dx: 'x' }, 'globalAvgPoolBackward');
    } finally {
      disposeAll([got, fwd], [x]);
    }
  } finally {
    x.dispose();
  }
  gradients('global average pool');
}

function smoothed(): void {
  const rng = new Rng(SEED);
  const scores = rng.randn([5, 4], 2) as tf.Tensor2D;
  const big = tf.mul(scores, 200) as tf.Tensor2D;
  const y = labels(rng, 5, 4);
  try {
    for (const [label, s] of [['', scores], [' (scores in the hundreds)', big]] as const) {
      const got = call('smoothedSoftmaxLoss', { scores: s, y }, () => smoothedSoftmaxLoss(s, y, 0.2));
      if (got === null || typeof got !== 'object') throw new CheckProblem(`smoothedSoftmaxLoss returned ${String(got)}; expected { loss, dscores }`);
      tf.tidy(() => {
        // A target that gives eps to every class on top of (1 - eps) onehot: its loss, for the hint's evidence.
        const wholeEps = () => tf.neg(tf.mean(tf.sum(tf.mul(tf.add(tf.mul(tf.oneHot(y, 4), 0.8), 0.2), tf.logSoftmax(s)), 1)));
        const hint = (g: tf.Tensor) => (label ? overflowHint(g) : suspectHint(g, [{ says: 'a target of (1 - eps) onehot(y) + eps: the eps spread over the C classes sums to eps', value: wholeEps }]));
        expectClose(`loss${label}`, got.loss, smoothedSoftmaxLossRef(s, y, 0.2), FORWARD_BOUND, 'autodiff reference', hint);
        expectClose(`dscores${label}`, got.dscores, autodiffGrads((p) => smoothedSoftmaxLossRef(p.s, y, 0.2), { s }).s, AUTODIFF_BOUND, 'autodiff', label ? overflowHint : undefined);
      });
      disposeAll(got, [s, y]);
    }
  } finally {
    tf.dispose([scores, big, y]);
  }
  gradients('softmax loss, label smoothing 0.2');
}

function gelu(): void {
  const x = new Rng(SEED).randn([4, 5], 2);
  const fwd = geluForward(x);
  try {
    backwardVsAutodiff('x [4, 5]', { x }, [4, 5], (dout) => geluBackward(dout, fwd.cache), (p) => geluRef(p.x), { dx: 'x' }, 'geluBackward');
  } finally {
    tf.dispose([x, fwd.out]);
  }
  gradients('gelu');
}

/**
 * sgdNesterov for three steps: with weightDecay 0 and lrScale 1 against tfjs's tf.train.momentum(useNesterov),
 * then with both set against the formula in float64 (the decay is learningRate * weightDecay * w, outside lrScale).
 */
function nesterov(): void {
  const rng = new Rng(SEED);
  const w0 = rng.randn([4, 5]);
  const grads = [rng.randn([4, 5]), rng.randn([4, 5]), rng.randn([4, 5])];
  const cases: [string, Record<string, number>][] = [
    ['learningRate 0.1, momentum 0.85', { learningRate: 0.1, momentum: 0.85 }],
    ['learningRate 0.1, momentum 0.85, weightDecay 0.3, lrScale 4', { learningRate: 0.1, momentum: 0.85, weightDecay: 0.3, lrScale: 4 }],
  ];
  try {
    for (const [label, hyper] of cases) {
      let w = tf.clone(w0);
      let config: Record<string, number | tf.Tensor> = { ...hyper };
      const wRef = Float64Array.from(w0.dataSync());
      const vRef = new Float64Array(wRef.length);
      for (const g of grads) {
        const got = call('sgdNesterov', { w, dw: g }, () => sgdNesterov(w, g, config));
        if (got === null || typeof got !== 'object' || !got.config) throw new CheckProblem(`sgdNesterov returned ${String(got)}; expected { next, config }`);
        const gv = g.dataSync();
        const [lr, mu, wd, scale] = [hyper.learningRate, hyper.momentum, hyper.weightDecay ?? 0, hyper.lrScale ?? 1];
        for (let i = 0; i < wRef.length; i++) {
          vRef[i] = mu * vRef[i] + gv[i];
          wRef[i] = wRef[i] - lr * scale * (gv[i] + mu * vRef[i]) - lr * wd * wRef[i];
        }
        tf.dispose([w, config.velocity as tf.Tensor | undefined].filter((t): t is tf.Tensor => t !== undefined));
        w = got.next;
        config = got.config as Record<string, number | tf.Tensor>;
      }
      tf.tidy(() => {
        const hint = () => 'v <- momentum v + dw first; then w <- w - learningRate lrScale (dw + momentum v) - learningRate weightDecay w';
        expectClose(`next_w after 3 steps (${label})`, w, tf.tensor(Float32Array.from(wRef), [4, 5]), FORWARD_BOUND, 'the formula in float64', hint);
        if (!hyper.weightDecay) expectClose(`next_w after 3 steps (${label})`, w, nesterovRef(w0, grads, hyper.learningRate, hyper.momentum), FORWARD_BOUND, 'tf.train.momentum with useNesterov', hint);
      });
      tf.dispose([w, config.velocity as tf.Tensor]);
    }
  } finally {
    tf.dispose([w0, ...grads]);
  }
}

export const CHECKS: Record<string, () => void> = {
  global_avg_pool: globalAvgPool,
  smoothed_softmax_loss: smoothed,
  residual_block_backward: () => ['residual block', 'residual block (no skip)'].forEach(gradients),
  gelu_backward: gelu,
  sgd_nesterov: nesterov,
};
