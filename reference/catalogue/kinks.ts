/**
 * Where the kinks of a function sit, as a string: relu, max pooling and the SVM hinge are not differentiable
 * everywhere, and a centred difference whose two points lie on either side of a kink measures neither one-sided
 * slope. The harness (harness.ts) compares the signature at every numerically perturbed point with the one at the
 * point of the check, and steps around any difference.
 *
 * Signatures are read from the hand-written layers' own caches (a relu cache holds the relu's input, a pool cache
 * its input and output), never from a second copy of a forward pass: a copy could drift from the model it stands
 * for and silently check nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PoolCache, maxPoolBackwardNaive, poolDims } from '../../src/layers/pool_naive';

/** Which entries of t are positive, as a string of 0s and 1s: the side of each relu kink. */
export function positivePattern(t: tf.Tensor): string {
  return Array.from(t.dataSync(), (v) => (v > 0 ? '1' : '0')).join('');
}

/**
 * Which entries of each pooling window are its maximum: the naive backward pass sends a gradient of ones (split
 * evenly among tied maxima) to exactly those entries, so its pattern of nonzero entries names them.
 */
export function argmaxPattern(cache: PoolCache): string {
  return tf.tidy(() => {
    const ones = tf.onesLike(cache.out) as tf.Tensor4D;
    return positivePattern(maxPoolBackwardNaive(ones, cache).dx);
  });
}

/** Which SVM margins s_j - s_y + 1 (j != y) are positive: the side of each hinge. */
export function marginPattern(scores: tf.Tensor, y: tf.Tensor): string {
  const [n, c] = scores.shape;
  const s = scores.dataSync();
  const labels = y.dataSync();
  let out = '';
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) if (j !== labels[i]) out += s[i * c + j] - s[i * c + labels[i]] + 1 > 0 ? '1' : '0';
  }
  return out;
}

function isPoolCache(v: object): v is PoolCache {
  return 'poolParam' in v && 'x' in v && 'out' in v;
}

/**
 * Every kink of a forward pass, read from its caches: the sign of every relu input (a cache under a key that starts
 * with 'relu', as the layers and models name their relu caches) and the maximum of every pooling window (any pool
 * cache), in the order the caches list them. caches: one layer's cache or a model's whole tree of them.
 * Throws when the tree holds neither, since a signature of nothing would let every step across a kink through.
 */
export function cacheKinks(caches: object): string {
  let found = 0;
  const walk = (v: unknown, key: string): string => {
    if (v === null || typeof v !== 'object' || v instanceof tf.Tensor) return '';
    if (isPoolCache(v)) {
      found++;
      return argmaxPattern(v);
    }
    if (key.startsWith('relu') && 'x' in v && v.x instanceof tf.Tensor) {
      found++;
      return positivePattern(v.x);
    }
    // The fast batchnorm with its relu fused in keeps the relu's output: positive exactly where its input was.
    if (key === 'bnRelu' && 'out' in v && v.out instanceof tf.Tensor) {
      found++;
      return positivePattern(v.out);
    }
    return Object.entries(v).map(([k, child]) => walk(child, k)).join('');
  };
  const signature = walk(caches, '');
  if (found === 0) throw new Error('cacheKinks: the caches hold no relu or pool cache, so no kink could be guarded');
  return signature;
}

/** How many windows of one pooling have a positive maximum held by more than one entry. */
function positiveTiedWindows(cache: PoolCache): number {
  const { N, H, W, C, poolHeight, poolWidth, stride, Hout, Wout } = poolDims('positiveTies', cache.x, cache.poolParam);
  const xv = cache.x.dataSync();
  const ov = cache.out.dataSync();
  let tied = 0;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Hout; i++) {
      for (let j = 0; j < Wout; j++) {
        for (let c = 0; c < C; c++) {
          const max = ov[((n * Hout + i) * Wout + j) * C + c];
          if (!(max > 0)) continue;
          let holders = 0;
          for (let a = 0; a < poolHeight; a++) {
            for (let b = 0; b < poolWidth; b++) if (xv[((n * H + i * stride + a) * W + j * stride + b) * C + c] === max) holders++;
          }
          if (holders > 1) tied++;
        }
      }
    }
  }
  return tied;
}

/**
 * Pooling windows whose maximum is positive and held by more than one entry, anywhere in a tree of caches. Such a
 * tie is a kink at the point itself: the hand-written pools split the window's gradient evenly among the tied
 * entries (as the course's reshape method does), autodiff gives it to one. In a net it happens where a relu left a
 * whole neighbourhood dead, so that the next convolution outputs its bias at two places. (Ties at zero are harmless
 * after a relu, whose backward blocks them all.) The harness redraws a model whose forward pass has any.
 */
export function positiveTies(caches: object): number {
  let ties = 0;
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || v instanceof tf.Tensor) return;
    if (isPoolCache(v)) {
      ties += positiveTiedWindows(v);
      return;
    }
    for (const child of Object.values(v)) walk(child);
  };
  walk(caches);
  return ties;
}
