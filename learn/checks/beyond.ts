/**
 * Checks of the exercises beyond the course (the layers of `npm run train`'s residual net): global average
 * pooling and label-smoothed softmax against the autodiff reference and tf.grads, the residual block's backward
 * pass through the catalogue (with and without the skip).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { globalAvgPoolRef } from '../../reference/layers_conv';
import { smoothedSoftmaxLossRef } from '../../reference/layers_dense';
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

export const CHECKS: Record<string, () => void> = {
  global_avg_pool: globalAvgPool,
  smoothed_softmax_loss: smoothed,
  residual_block_backward: () => ['residual block', 'residual block (no skip)'].forEach(gradients),
};
