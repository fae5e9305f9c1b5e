/**
 * A residual block (He et al. 2016, "Deep Residual Learning"), the kind ResNet-9 uses: two conv-batchnorm-relu
 * sandwiches whose result is added to the block's own input,
 *
 *   h   = convBnRelu(x; W1, b1, gamma1, beta1)
 *   r   = convBnRelu(h; W2, b2, gamma2, beta2)
 *   out = x + r
 *
 * The convolutions keep the size (3x3, stride 1, pad 1) and the number of channels, so x and r have the same
 * shape and add. The block learns only the correction r to the identity. At initialisation r is not small here
 * (the branch ends in a batchnorm with gamma = 1, so r is about as large as x); what helps a deep net train is
 * the backward pass below, where the skip carries the gradient past the branch.
 *
 * Backward. The addition copies its upstream gradient to both of its inputs (d(x + r)/dx = d(x + r)/dr = 1):
 *   dr = dout, then back through the two sandwiches to dx_branch;
 *   dx = dout + dx_branch.
 * The gradient splits at the addition and adds back where x was used twice (the skip and the branch): the
 * skip's term of dx is dout itself, so the layers below receive dout plus the branch's gradient: dout reaches
 * them however small the branch's gradient has become.
 *
 * With `skip` false the block is the same two sandwiches without the addition (out = r, dx = dx_branch), the
 * plain net the residual one is compared with in docs/best-model.md.
 *
 * x: [N, H, W, C] (NHWC; the course's layout is NCHW). Filters [3, 3, C, C].
 */
import * as tf from '@tensorflow/tfjs-core';
import { BnParam } from './batchnorm';
import { ConvParam } from './conv_fast';
import { ConvBnReluCache, convBnReluBackward, convBnReluForward } from './sandwich';
import { checkSameShape } from './validate';

/** One conv-bn-relu sandwich's parameters. */
export interface ConvBnParams {
  w: tf.Tensor4D;
  b: tf.Tensor1D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

export interface ResidualCache {
  first: ConvBnReluCache;
  second: ConvBnReluCache;
  skip: boolean;
}

/**
 * x: [N, H, W, C]. first, second: the sandwiches' parameters, filters [HH, WW, C, C] with a size-keeping
 * convParam. bnParams: one per sandwich (train mode updates its running statistics). skip: add x (default true).
 * Returns out: [N, H, W, C] and the cache.
 */
export function residualBlockForward(
  x: tf.Tensor4D,
  first: ConvBnParams,
  second: ConvBnParams,
  convParam: ConvParam,
  bnParams: [BnParam, BnParam],
  skip = true,
): { out: tf.Tensor4D; cache: ResidualCache } {
  const h = convBnReluForward(x, first.w, first.b, first.gamma, first.beta, convParam, bnParams[0]);
  const r = convBnReluForward(h.out, second.w, second.b, second.gamma, second.beta, convParam, bnParams[1]);
  if (skip) checkSameShape('residual block forward', 'branch output', r.out, 'x', x);
  const out = skip ? tf.add(x, r.out) : r.out;
  // With the skip, the relu cache keeps r (its input is what its backward reads), so only the sum is new.
  return { out: out as tf.Tensor4D, cache: { first: h.cache, second: r.cache, skip } };
}

/**
 * dout: [N, H, W, C]. Returns dx: [N, H, W, C] and each sandwich's dw, db, dgamma, dbeta.
 */
export function residualBlockBackward(
  dout: tf.Tensor4D,
  cache: ResidualCache,
): { dx: tf.Tensor4D; first: ConvBnGrads; second: ConvBnGrads } {
  return tf.tidy(() => {
    const { dx: dh, ...second } = convBnReluBackward(dout, cache.second);
    const { dx: dBranch, ...first } = convBnReluBackward(dh, cache.first);
    const dx = cache.skip ? tf.add(dout, dBranch) : dBranch;
    return { dx: dx as tf.Tensor4D, first, second };
  });
}

/** One sandwich's parameter gradients. */
export type ConvBnGrads = {
  dw: tf.Tensor4D;
  db: tf.Tensor1D;
  dgamma: tf.Tensor1D;
  dbeta: tf.Tensor1D;
};
