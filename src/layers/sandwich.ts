/**
 * "Sandwich" layers: short chains of layers that convnets repeat, each forward one call and each backward one
 * call (the course's layer_utils.py). A sandwich adds no maths: its forward runs the layers in order and keeps
 * every cache; its backward runs their backward passes in reverse order, each one's dx feeding the next.
 * Convolutions, pools and the spatial batchnorm (with its relu) use the fast layers.
 *
 * Layouts as in the layers: images [N, H, W, C] (NHWC; the course's are NCHW), filters [HH, WW, C, F].
 *
 * See docs/fully-connected-nets.md for backpropagation through a sandwich.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AffineCache, affineBackward, affineForward } from './affine';
import { ReluCache, reluBackward, reluForward } from './relu';
import { ConvCache, ConvParam, convBackwardFast, convBackwardFirstLayer, convForwardFast } from './conv_fast';
import { PoolCache, PoolParam, maxPoolBackwardFast, maxPoolForwardFast } from './pool_fast';
import { BnParam } from './spatial_batchnorm';
import { SpatialBatchnormFastCache, spatialBatchnormBackwardFast, spatialBatchnormForwardFast } from './spatial_batchnorm_fast';
import { BatchnormCache, batchnormBackwardAlt, batchnormForward } from './batchnorm';

export interface AffineReluCache {
  affine: AffineCache;
  relu: ReluCache;
}

/** x: [N, d1, ..., dk] flattening to [N, D]. w: [D, M]. b: [M]. Returns out = relu(x @ w + b): [N, M]. */
export function affineReluForward(x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D): { out: tf.Tensor2D; cache: AffineReluCache } {
  const affine = affineForward(x, w, b);
  const relu = reluForward(affine.out);
  return { out: relu.out as tf.Tensor2D, cache: { affine: affine.cache, relu: relu.cache } };
}

/** dout: [N, M]. Returns dx: x's shape, dw: [D, M], db: [M]. */
export function affineReluBackward(dout: tf.Tensor2D, cache: AffineReluCache): { dx: tf.Tensor; dw: tf.Tensor2D; db: tf.Tensor1D } {
  return tf.tidy(() => {
    const { dx: da } = reluBackward(dout, cache.relu);
    return affineBackward(da as tf.Tensor2D, cache.affine);
  });
}

export interface AffineBnReluCache {
  affine: AffineCache;
  bn: BatchnormCache;
  relu: ReluCache;
}

/**
 * x: [N, d1, ..., dk] flattening to [N, D]. w: [D, M]. b: [M]. gamma, beta: [M]. bnParam: as batchnorm.ts (train
 * mode updates its running statistics). Returns out = relu(batchnorm(x @ w + b)): [N, M].
 */
export function affineBnReluForward(
  x: tf.Tensor,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  bnParam: BnParam,
): { out: tf.Tensor2D; cache: AffineBnReluCache } {
  const affine = affineForward(x, w, b);
  const bn = batchnormForward(affine.out, gamma, beta, bnParam);
  const relu = reluForward(bn.out);
  return { out: relu.out as tf.Tensor2D, cache: { affine: affine.cache, bn: bn.cache, relu: relu.cache } };
}

/** dout: [N, M]. Returns dx: x's shape, dw: [D, M], db: [M], dgamma: [M], dbeta: [M]. */
export function affineBnReluBackward(
  dout: tf.Tensor2D,
  cache: AffineBnReluCache,
): { dx: tf.Tensor; dw: tf.Tensor2D; db: tf.Tensor1D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const { dx: da } = reluBackward(dout, cache.relu);
    const { dx: dan, dgamma, dbeta } = batchnormBackwardAlt(da as tf.Tensor2D, cache.bn);
    const { dx, dw, db } = affineBackward(dan, cache.affine);
    return { dx, dw, db, dgamma, dbeta };
  });
}

export interface ConvReluCache {
  conv: ConvCache;
  relu: ReluCache;
}

/** x: [N, H, W, C]. w: [HH, WW, C, F]. b: [F]. Returns out = relu(conv(x)): [N, H', W', F]. */
export function convReluForward(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  convParam: ConvParam,
): { out: tf.Tensor4D; cache: ConvReluCache } {
  const conv = convForwardFast(x, w, b, convParam);
  const relu = reluForward(conv.out);
  return { out: relu.out as tf.Tensor4D, cache: { conv: conv.cache, relu: relu.cache } };
}

/** dout: [N, H', W', F]. Returns dx: [N, H, W, C], dw: [HH, WW, C, F], db: [F]. */
export function convReluBackward(dout: tf.Tensor4D, cache: ConvReluCache): { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D } {
  return tf.tidy(() => {
    const { dx: da } = reluBackward(dout, cache.relu);
    return convBackwardFast(da as tf.Tensor4D, cache.conv);
  });
}

/**
 * convReluBackward for a net's first layer while training: the parameters' gradients without dx, which would be
 * the gradient with respect to the images (no update uses it; see convBackwardFirstLayer for why it is skipped).
 * dout: [N, H', W', F]. Returns dw: [HH, WW, C, F], db: [F], the same values as convReluBackward's.
 */
export function convReluFirstLayerBackward(dout: tf.Tensor4D, cache: ConvReluCache): { dw: tf.Tensor4D; db: tf.Tensor1D } {
  return tf.tidy(() => {
    const { dx: da } = reluBackward(dout, cache.relu);
    return convBackwardFirstLayer(da as tf.Tensor4D, cache.conv);
  });
}

export interface ConvBnReluCache {
  conv: ConvCache;
  /** The batchnorm and the relu after it, as one fast layer (spatial_batchnorm_fast.ts). */
  bnRelu: SpatialBatchnormFastCache;
}

/**
 * x: [N, H, W, C]. w: [HH, WW, C, F]. b: [F]. gamma, beta: [F]. bnParam: as spatial_batchnorm.ts (train mode
 * updates its running statistics). Returns out = relu(spatialBatchnorm(conv(x))): [N, H', W', F].
 */
export function convBnReluForward(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  convParam: ConvParam,
  bnParam: BnParam,
): { out: tf.Tensor4D; cache: ConvBnReluCache } {
  const conv = convForwardFast(x, w, b, convParam);
  const bnRelu = spatialBatchnormForwardFast(conv.out, gamma, beta, bnParam, true);
  // The batchnorm cache keeps what its backward needs (xhat, ...), not its input: free the conv output now.
  conv.out.dispose();
  return { out: bnRelu.out, cache: { conv: conv.cache, bnRelu: bnRelu.cache } };
}

/** dout: [N, H', W', F]. Returns dx: [N, H, W, C], dw: [HH, WW, C, F], db: [F], dgamma: [F], dbeta: [F]. */
export function convBnReluBackward(
  dout: tf.Tensor4D,
  cache: ConvBnReluCache,
): { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const { dx: dan, dgamma, dbeta } = spatialBatchnormBackwardFast(dout, cache.bnRelu);
    const { dx, dw, db } = convBackwardFast(dan, cache.conv);
    return { dx, dw, db, dgamma, dbeta };
  });
}

/**
 * convBnReluBackward for a net's first layer while training: the parameters' gradients without dx, which would be
 * the gradient with respect to the images (no update uses it; see convBackwardFirstLayer for why it is skipped).
 * dout: [N, H', W', F]. Returns dw: [HH, WW, C, F], db, dgamma, dbeta: [F], the same values as convBnReluBackward's.
 */
export function convBnReluFirstLayerBackward(
  dout: tf.Tensor4D,
  cache: ConvBnReluCache,
): { dw: tf.Tensor4D; db: tf.Tensor1D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const { dx: dan, dgamma, dbeta } = spatialBatchnormBackwardFast(dout, cache.bnRelu);
    return { ...convBackwardFirstLayer(dan, cache.conv), dgamma, dbeta };
  });
}

export interface ConvReluPoolCache {
  conv: ConvCache;
  relu: ReluCache;
  pool: PoolCache;
}

/**
 * x: [N, H, W, C]. w: [HH, WW, C, F]. b: [F]. poolParam: the max pool's windows.
 * Returns out = maxPool(relu(conv(x))): [N, H'', W'', F].
 */
export function convReluPoolForward(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  convParam: ConvParam,
  poolParam: PoolParam,
): { out: tf.Tensor4D; cache: ConvReluPoolCache } {
  const conv = convForwardFast(x, w, b, convParam);
  const relu = reluForward(conv.out);
  const pool = maxPoolForwardFast(relu.out as tf.Tensor4D, poolParam);
  return { out: pool.out, cache: { conv: conv.cache, relu: relu.cache, pool: pool.cache } };
}

/** dout: [N, H'', W'', F]. Returns dx: [N, H, W, C], dw: [HH, WW, C, F], db: [F]. */
export function convReluPoolBackward(dout: tf.Tensor4D, cache: ConvReluPoolCache): { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D } {
  return tf.tidy(() => {
    const { dx: ds } = maxPoolBackwardFast(dout, cache.pool);
    const { dx: da } = reluBackward(ds, cache.relu);
    return convBackwardFast(da as tf.Tensor4D, cache.conv);
  });
}
