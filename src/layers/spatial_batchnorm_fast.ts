/**
 * Spatial batch normalisation on tfjs kernels: the same layer as spatial_batchnorm.ts (same arguments, running
 * statistics and gradients), optionally with the relu that follows it in a conv-bn-relu sandwich, fast enough to
 * train with.
 *
 * Every per-channel map x * scale + shift of the [N, H, W, C] images runs as one 1x1 depthwise convolution with a
 * bias (and the relu fused in), which the wasm backend hands to XNNPACK on all its threads, where tf.mul and tf.add
 * with a [C] vector each run one element at a time on one thread (timings in docs/performance.md). Both passes
 * compute what spatial_batchnorm.ts computes (its backward is batchnorm.ts's closed form, batchnormBackwardAlt),
 * operation for operation, so the results are bit-identical (x * 1 + (-m) rounds as x - m; spec/layers/
 * spatial_batchnorm_fast.spec.ts compares them on the cpu and wasm backends).
 *
 * Layout: x [N, H, W, C] (NHWC; the course's is [N, C, H, W]), gamma, beta [C]. See docs/batchnorm.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BnParam } from './batchnorm';
import { columnMean, columnSum } from './reduce';
import { checkRank, checkShape } from './validate';

export type { BnParam } from './batchnorm';

export interface SpatialBatchnormFastCache {
  mode: 'train' | 'test';
  /** [N, H, W, C] normalised input, (x - mean) / sqrt(var + eps). */
  xhat: tf.Tensor4D;
  /** [C] 1 / sqrt(var + eps), of the batch in train mode and of the running variance in test mode. */
  invStd: tf.Tensor1D;
  gamma: tf.Tensor1D;
  /** [N, H, W, C] the output, kept when a relu is fused in: its positive entries are where the relu passed. */
  out?: tf.Tensor4D;
}

/** x * scale + shift per channel, and then the relu if asked: one 1x1 depthwise convolution. x: [N, H, W, C]. */
function channelAffine(x: tf.Tensor4D, scale: tf.Tensor1D, shift?: tf.Tensor1D, relu = false): tf.Tensor4D {
  const C = x.shape[3];
  const filter = tf.reshape(scale, [1, 1, C, 1]) as tf.Tensor4D;
  return tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'valid', bias: shift, activation: relu ? 'relu' : 'linear' });
}

/**
 * x: [N, H, W, C]. gamma, beta: [C]. bnParam: as spatial_batchnorm.ts (train mode updates its running statistics).
 * relu: also apply relu, as the sandwich's next layer. Returns out = [relu](gamma * xhat + beta): [N, H, W, C].
 */
export function spatialBatchnormForwardFast(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  bnParam: BnParam,
  relu = false,
): { out: tf.Tensor4D; cache: SpatialBatchnormFastCache } {
  const fn = 'spatial batchnorm forward fast';
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  const [N, H, W, C] = x.shape;
  checkShape(fn, 'gamma', gamma, [C]);
  checkShape(fn, 'beta', beta, [C]);
  const eps = bnParam.eps ?? 1e-5;
  const momentum = bnParam.momentum ?? 0.9;
  if (!(eps > 0)) throw new Error(`${fn}: bnParam.eps must be > 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`${fn}: bnParam.momentum must be in [0, 1], got ${momentum}`);
  if (bnParam.runningMean) checkShape(fn, 'bnParam.runningMean', bnParam.runningMean, [C]);
  if (bnParam.runningVar) checkShape(fn, 'bnParam.runningVar', bnParam.runningVar, [C]);
  const keepOut = (out: tf.Tensor4D) => (relu ? { out } : {});

  if (bnParam.mode === 'test') {
    const { runningMean, runningVar } = bnParam;
    if (!runningMean || !runningVar) {
      throw new Error(`${fn}: test mode needs bnParam.runningMean and bnParam.runningVar ([${C}]); run a train-mode forward first or load them`);
    }
    return tf.tidy(() => {
      const invStd = tf.rsqrt(tf.add(runningVar, eps)) as tf.Tensor1D;
      const xhat = channelAffine(channelAffine(x, tf.onesLike(runningMean), tf.neg(runningMean)), invStd);
      const out = channelAffine(xhat, gamma, beta, relu);
      return { out, cache: { mode: 'test' as const, xhat, invStd, gamma, ...keepOut(out) } };
    });
  }
  if (bnParam.mode !== 'train') throw new Error(`${fn}: bnParam.mode must be 'train' or 'test', got '${bnParam.mode}'`);

  const oldMean = bnParam.runningMean;
  const oldVar = bnParam.runningVar;
  const result = tf.tidy(() => {
    const mean = columnMean(tf.reshape(x, [N * H * W, C]));
    const xc = channelAffine(x, tf.ones([C]), tf.neg(mean));
    const variance = columnMean(tf.reshape(tf.square(xc), [N * H * W, C]));
    const invStd = tf.reciprocal(tf.sqrt(tf.add(variance, eps))) as tf.Tensor1D;
    const xhat = channelAffine(xc, invStd);
    const out = channelAffine(xhat, gamma, beta, relu);
    // Running statistics outlive this step (and the caller's tidy), so they are kept explicitly.
    const runningMean = tf.keep(tf.add(tf.mul(oldMean ?? tf.zeros([C]), momentum), tf.mul(mean, 1 - momentum)) as tf.Tensor1D);
    const runningVar = tf.keep(tf.add(tf.mul(oldVar ?? tf.zeros([C]), momentum), tf.mul(variance, 1 - momentum)) as tf.Tensor1D);
    return { out, cache: { mode: 'train' as const, xhat, invStd, gamma, ...keepOut(out) }, runningMean, runningVar };
  });
  oldMean?.dispose();
  oldVar?.dispose();
  bnParam.runningMean = result.runningMean;
  bnParam.runningVar = result.runningVar;
  return { out: result.out, cache: result.cache };
}

/**
 * dout: [N, H, W, C], the gradient at the output (after the relu when one was fused in). Returns dx: [N, H, W, C],
 * dgamma: [C], dbeta: [C]. With g = dout through the relu, M = N H W, k = gamma / sqrt(var + eps):
 *   dbeta = sum g,  dgamma = sum g * xhat,  dx = k * ((g - dbeta / M) - xhat * dgamma / M),
 * batchnormBackwardAlt's closed form, as three per-channel maps and one difference. Test mode: dx = g * k.
 */
export function spatialBatchnormBackwardFast(dout: tf.Tensor4D, cache: SpatialBatchnormFastCache): { dx: tf.Tensor4D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  const { xhat, invStd, gamma, out } = cache;
  checkShape('spatial batchnorm backward fast', 'dout', dout, xhat.shape);
  const [N, H, W, C] = xhat.shape;
  const M = N * H * W;
  return tf.tidy(() => {
    const g = out === undefined ? dout : (tf.mul(dout, tf.step(out, 0)) as tf.Tensor4D);
    const dbeta = columnSum(tf.reshape(g, [M, C]));
    const dgamma = columnSum(tf.reshape(tf.mul(g, xhat), [M, C]));
    const k = tf.mul(gamma, invStd) as tf.Tensor1D;
    if (cache.mode === 'test') return { dx: channelAffine(g, k), dgamma, dbeta };
    // The same operations in the same order as batchnormBackwardAlt, so the same numbers bit for bit.
    const gCentred = channelAffine(g, tf.onesLike(dbeta), tf.neg(tf.div(dbeta, M)) as tf.Tensor1D);
    const centred = tf.sub(gCentred, channelAffine(xhat, tf.div(dgamma, M) as tf.Tensor1D)) as tf.Tensor4D;
    return { dx: channelAffine(centred, k), dgamma, dbeta };
  });
}
