/**
 * Layer normalisation (Ba, Kiros and Hinton, 2016) on [N, D] rows: each example (row) is normalised with its own
 * mean and variance over its D features, then scaled and shifted per feature by gamma and beta. Unlike
 * batchnorm it does not depend on the rest of the batch, so train and test time are the same and there are no
 * running statistics. Variances are biased (divide by D), as in batchnorm.
 *
 * See docs/batchnorm.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRank, checkShape } from './validate';

export interface LnParam {
  /** Added to the variance before the square root, for stability. Default 1e-5. */
  eps?: number;
}

export interface LayernormCache {
  /** [N, D] normalised input (x - rowMean) / rowStd. */
  xhat: tf.Tensor2D;
  /** [N, 1] 1 / sqrt(rowVar + eps). */
  invStd: tf.Tensor2D;
  /** [D] the scale, needed for dx. */
  gamma: tf.Tensor1D;
}

const FWD = 'layernorm forward';

/**
 * x: [N, D]. gamma: [D] scale. beta: [D] shift. lnParam: eps.
 * Returns out = gamma * (x - rowMean) / sqrt(rowVar + eps) + beta, [N, D], and the cache.
 * With D = 1 every row's variance is 0 and out = beta: valid but degenerate.
 */
export function layernormForward(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  lnParam: LnParam = {},
): { out: tf.Tensor2D; cache: LayernormCache } {
  checkRank(FWD, 'x', x, 2, '[N, D]');
  const d = x.shape[1];
  checkShape(FWD, 'gamma', gamma, [d]);
  checkShape(FWD, 'beta', beta, [d]);
  const eps = lnParam.eps ?? 1e-5;
  if (!(eps > 0)) throw new Error(`${FWD}: lnParam.eps must be > 0, got ${eps}`);
  return tf.tidy(() => {
    const xc = tf.sub(x, tf.mean(x, 1, true));
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps)) as tf.Tensor2D;
    const xhat = tf.mul(xc, invStd) as tf.Tensor2D;
    const out = tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D;
    return { out, cache: { xhat, invStd, gamma } };
  });
}

/**
 * dout: [N, D]. cache: from layernormForward. Returns dx [N, D], dgamma [D], dbeta [D].
 *
 * gamma and beta act per feature, as in batchnorm, so dgamma = sum over rows of dout * xhat and dbeta = sum over
 * rows of dout. The normalisation is batchnorm's with rows and columns swapped, so batchnorm's closed form
 * (./batchnorm.ts, batchnormBackwardAlt) applies along each row, with dxhat = dout * gamma:
 *   dx = invStd * (dxhat - rowMean(dxhat) - xhat * rowMean(dxhat * xhat)).
 * Gamma sits inside dxhat here (it varies along the row), where in batchnorm it factored out.
 */
export function layernormBackward(
  dout: tf.Tensor2D,
  cache: LayernormCache,
): { dx: tf.Tensor2D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  const { xhat, invStd, gamma } = cache;
  checkShape('layernorm backward', 'dout', dout, xhat.shape);
  return tf.tidy(() => {
    const dbeta = tf.sum(dout, 0) as tf.Tensor1D;
    const dgamma = tf.sum(tf.mul(dout, xhat), 0) as tf.Tensor1D;
    const dxhat = tf.mul(dout, gamma);
    const centred = tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), 1, true)));
    const dx = tf.mul(centred, invStd) as tf.Tensor2D;
    return { dx, dgamma, dbeta };
  });
}
