/**
 * Batch normalisation (Ioffe and Szegedy, 2015) on [N, D] rows: forward, backward through the computation graph
 * step by step, and the simplified closed-form backward (the course's batchnorm_backward_alt).
 *
 * Each feature (column) is normalised with the mean and variance of the current minibatch at training time, and
 * with running averages of them at test time. Variances are biased (divide by N), as the course's np.var.
 * Spatial batchnorm reshapes [N, H, W, C] images to [N*H*W, C] rows and calls these same functions.
 * Means and sums over the rows go through reduce.ts: wasm's own Sum and Mean over axis 0 are ~30x slower.
 *
 * See docs/batchnorm.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRank, checkShape } from './validate';
import { columnMean, columnSum } from './reduce';

/** Mode and running statistics of one batchnorm layer; the forward pass updates it in place, as the course's bn_param. */
export interface BnParam {
  /** 'train': normalise with batch statistics and update the running ones. 'test': normalise with the running ones. */
  mode: 'train' | 'test';
  /** Added to the variance before the square root, for stability. Default 1e-5. */
  eps?: number;
  /** Decay of the running averages: running = momentum * running + (1 - momentum) * batch. Default 0.9. */
  momentum?: number;
  /** [D] running mean. Starts at zeros on the first train-mode call. Owned by this object (see ./README.md). */
  runningMean?: tf.Tensor1D;
  /** [D] running (biased) variance. Starts at zeros on the first train-mode call. */
  runningVar?: tf.Tensor1D;
}

/** What a train-mode forward keeps for the backward pass: the nodes of the graph the staged backward walks. */
export interface BatchnormTrainCache {
  mode: 'train';
  /** [N, D] normalised input (x - mean) / std. */
  xhat: tf.Tensor2D;
  /** [N, D] centred input x - mean. */
  xc: tf.Tensor2D;
  /** [D] sqrt(var + eps), and its reciprocal. */
  std: tf.Tensor1D;
  invStd: tf.Tensor1D;
  /** [D] the scale, needed for dx. */
  gamma: tf.Tensor1D;
}

/** What a test-mode forward keeps: the statistics were constants, so the layer is a fixed affine map per feature. */
export interface BatchnormTestCache {
  mode: 'test';
  xhat: tf.Tensor2D;
  invStd: tf.Tensor1D;
  gamma: tf.Tensor1D;
}

export type BatchnormCache = BatchnormTrainCache | BatchnormTestCache;

export interface BatchnormGrads {
  /** [N, D] */
  dx: tf.Tensor2D;
  /** [D] */
  dgamma: tf.Tensor1D;
  /** [D] */
  dbeta: tf.Tensor1D;
}

const FWD = 'batchnorm forward';

/**
 * x: [N, D]. gamma: [D] scale. beta: [D] shift. bnParam: mode, eps, momentum and running statistics.
 * Returns out = gamma * (x - mean) / sqrt(var + eps) + beta, [N, D], and the cache.
 *
 * Train mode uses the batch's mean and variance, then replaces bnParam.runningMean / runningVar with
 * momentum * running + (1 - momentum) * batch (the new tensors are tf.keep'd so they outlive the caller's tidy; the
 * old ones are disposed). Test mode uses the running statistics and changes nothing.
 * With N = 1 in train mode every variance is 0, x - mean is 0 and out = beta: valid but degenerate.
 */
export function batchnormForward(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  bnParam: BnParam,
): { out: tf.Tensor2D; cache: BatchnormCache } {
  checkRank(FWD, 'x', x, 2, '[N, D]');
  const d = x.shape[1];
  checkShape(FWD, 'gamma', gamma, [d]);
  checkShape(FWD, 'beta', beta, [d]);
  const eps = bnParam.eps ?? 1e-5;
  const momentum = bnParam.momentum ?? 0.9;
  if (!(eps > 0)) throw new Error(`${FWD}: bnParam.eps must be > 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`${FWD}: bnParam.momentum must be in [0, 1], got ${momentum}`);
  if (bnParam.runningMean) checkShape(FWD, 'bnParam.runningMean', bnParam.runningMean, [d]);
  if (bnParam.runningVar) checkShape(FWD, 'bnParam.runningVar', bnParam.runningVar, [d]);

  if (bnParam.mode === 'test') {
    const { runningMean, runningVar } = bnParam;
    if (!runningMean || !runningVar) {
      throw new Error(
        `${FWD}: test mode needs bnParam.runningMean and bnParam.runningVar ([${d}]); ` +
          'run a train-mode forward first or load them from a checkpoint',
      );
    }
    return tf.tidy(() => {
      const invStd = tf.rsqrt(tf.add(runningVar, eps)) as tf.Tensor1D;
      const xhat = tf.mul(tf.sub(x, runningMean), invStd) as tf.Tensor2D;
      const out = tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D;
      return { out, cache: { mode: 'test' as const, xhat, invStd, gamma } };
    });
  }
  if (bnParam.mode !== 'train') throw new Error(`${FWD}: bnParam.mode must be 'train' or 'test', got '${bnParam.mode}'`);

  const oldMean = bnParam.runningMean;
  const oldVar = bnParam.runningVar;
  const result = tf.tidy(() => {
    const mean = columnMean(x);
    const xc = tf.sub(x, mean) as tf.Tensor2D;
    const variance = columnMean(tf.square(xc));
    const std = tf.sqrt(tf.add(variance, eps)) as tf.Tensor1D;
    const invStd = tf.reciprocal(std) as tf.Tensor1D;
    const xhat = tf.mul(xc, invStd) as tf.Tensor2D;
    const out = tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D;
    // Running statistics outlive this step (and the caller's tidy), so they are kept explicitly.
    const runningMean = tf.keep(tf.add(tf.mul(oldMean ?? tf.zeros([d]), momentum), tf.mul(mean, 1 - momentum)) as tf.Tensor1D);
    const runningVar = tf.keep(tf.add(tf.mul(oldVar ?? tf.zeros([d]), momentum), tf.mul(variance, 1 - momentum)) as tf.Tensor1D);
    return { out, cache: { mode: 'train' as const, xhat, xc, std, invStd, gamma }, runningMean, runningVar };
  });
  oldMean?.dispose();
  oldVar?.dispose();
  bnParam.runningMean = result.runningMean;
  bnParam.runningVar = result.runningVar;
  return { out: result.out, cache: result.cache };
}

/** Test mode: the statistics were constants, so xhat is an affine function of x and dx = dout * gamma / std. */
function testModeBackward(dout: tf.Tensor2D, cache: BatchnormTestCache): BatchnormGrads {
  return tf.tidy(() => ({
    dx: tf.mul(dout, tf.mul(cache.gamma, cache.invStd)) as tf.Tensor2D,
    dgamma: columnSum(tf.mul(dout, cache.xhat)),
    dbeta: columnSum(dout),
  }));
}

/**
 * Backward through the graph, one node at a time (the course's batchnorm_backward). The forward pass, per feature:
 *   1 mu = mean(x)   2 xc = x - mu   3 sq = xc^2   4 var = mean(sq)   5 std = sqrt(var + eps)
 *   6 invStd = 1 / std   7 xhat = xc * invStd   8 gx = gamma * xhat   9 out = gx + beta
 * The backward visits the nodes in reverse; where a node fans out (xc feeds 3 and 7, x feeds 1 and 2) the
 * gradients arriving along each branch add. Broadcasting a [D] vector over N rows in the forward pass becomes a
 * sum over the rows in the backward pass, and a mean over N rows becomes 1/N spread to every row.
 *
 * dout: [N, D]. cache: from batchnormForward. Returns dx [N, D], dgamma [D], dbeta [D].
 */
export function batchnormBackward(dout: tf.Tensor2D, cache: BatchnormCache): BatchnormGrads {
  checkShape('batchnorm backward', 'dout', dout, cache.xhat.shape);
  if (cache.mode === 'test') return testModeBackward(dout, cache);
  const { xhat, xc, std, invStd, gamma } = cache;
  const n = dout.shape[0];
  return tf.tidy(() => {
    const dbeta = columnSum(dout); // 9
    const dgamma = columnSum(tf.mul(dout, xhat)); // 8
    const dxhat = tf.mul(dout, gamma); // 8
    const dinvStd = columnSum(tf.mul(dxhat, xc)); // 7, the invStd branch
    const dxc1 = tf.mul(dxhat, invStd); // 7, the xc branch
    const dstd = tf.div(tf.neg(dinvStd), tf.square(std)); // 6: d(1/s) = -1/s^2
    const dvar = tf.div(tf.mul(dstd, 0.5), std); // 5: d sqrt(v + eps) = 1 / (2 sqrt(v + eps))
    const dsq = tf.div(dvar, n); // 4: the mean spreads 1/N to every row (broadcast below)
    const dxc2 = tf.mul(tf.mul(xc, 2), dsq); // 3
    const dxc = tf.add(dxc1, dxc2) as tf.Tensor2D; // xc's two branches add
    const dmu = tf.neg(columnSum(dxc)); // 2, the mu branch
    const dx = tf.add(dxc, tf.div(dmu, n)) as tf.Tensor2D; // 2 (x branch) + 1 (mean: 1/N to every row)
    return { dx, dgamma, dbeta };
  });
}

/**
 * Simplified backward (the course's batchnorm_backward_alt): the same gradients in one closed form.
 *
 * Derivation, for one feature (drop the column index), with sigma = sqrt(var + eps) and dxhat_k = gamma * dout_k:
 *   dmu/dx_i = 1/N,  dvar/dx_i = (2/N)(x_i - mu)  (the mu term vanishes because sum_k (x_k - mu) = 0),
 *   dsigma/dx_i = dvar/dx_i / (2 sigma) = xhat_i / N,
 *   dxhat_k/dx_i = ([k = i] - 1/N) / sigma - (x_k - mu)/sigma^2 * xhat_i/N = ([k = i] - 1/N - xhat_k xhat_i / N) / sigma.
 * Summing over k:  dx_i = (1/sigma) (dxhat_i - mean_k dxhat_k - xhat_i mean_k(dxhat_k xhat_k)).
 * Since dbeta = sum_k dout_k and dgamma = sum_k dout_k xhat_k, this is
 *   dx = (gamma / sigma) * (dout - dbeta/N - xhat * dgamma/N),
 * which reuses the two parameter gradients and touches [N, D] arrays only five times.
 *
 * dout: [N, D]. cache: from batchnormForward. Returns dx [N, D], dgamma [D], dbeta [D].
 */
export function batchnormBackwardAlt(dout: tf.Tensor2D, cache: BatchnormCache): BatchnormGrads {
  checkShape('batchnorm backward alt', 'dout', dout, cache.xhat.shape);
  if (cache.mode === 'test') return testModeBackward(dout, cache);
  const { xhat, invStd, gamma } = cache;
  const n = dout.shape[0];
  return tf.tidy(() => {
    const dbeta = columnSum(dout);
    const dgamma = columnSum(tf.mul(dout, xhat));
    const centred = tf.sub(tf.sub(dout, tf.div(dbeta, n)), tf.mul(xhat, tf.div(dgamma, n)));
    const dx = tf.mul(centred, tf.mul(gamma, invStd)) as tf.Tensor2D;
    return { dx, dgamma, dbeta };
  });
}
