/**
 * Max pooling, the naive way: plain loops over typed arrays (the course's max_pool_forward_naive /
 * max_pool_backward_naive). pool_fast.ts computes the same thing with tfjs kernels.
 *
 * Layout: x is [N, H, W, C] (NHWC, tfjs's layout; the course's is [N, C, H, W]); entry (n, h, w, c) of a flat
 * array sits at ((n * H + h) * W + w) * C + c. Each channel is pooled on its own. There is no padding, and
 *   H' = 1 + (H - poolHeight) / stride,   W' = 1 + (W - poolWidth) / stride
 * must be whole numbers.
 *
 * Ties: when several entries of a window share the maximum, the max is not differentiable there; each tied entry
 * gets an equal share of the window's gradient. That is the course's fast layer's rule (its naive loop gives it all
 * to the first, via np.argmax; both are valid subgradients). Splitting keeps pool_fast.ts, which would need an
 * argmax per window to pick one entry (7x slower, docs/performance.md), equal to this layer.
 *
 * See docs/convolution.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPositiveInt, checkRank, checkShape } from './validate';

export interface PoolParam {
  poolHeight: number;
  poolWidth: number;
  /** Step between neighbouring windows, the same along height and width. */
  stride: number;
}

/** What the backward pass needs: the input, the output and the window sizes. Shared by naive and fast layers. */
export interface PoolCache {
  x: tf.Tensor4D;
  out: tf.Tensor4D;
  poolParam: PoolParam;
}

/** Sizes of a pooling, read off its arguments. */
export interface PoolDims {
  N: number;
  H: number;
  W: number;
  C: number;
  poolHeight: number;
  poolWidth: number;
  stride: number;
  Hout: number;
  Wout: number;
}

/**
 * Checks the arguments of a max pooling and returns its sizes.
 * fn: the caller's name for error messages. x: [N, H, W, C]. Throws, naming the argument and its shape or
 * value, on a wrong rank, a window or stride that is not a positive integer, or an output size that is not whole.
 */
export function poolDims(fn: string, x: tf.Tensor, poolParam: PoolParam): PoolDims {
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  const { poolHeight, poolWidth, stride } = poolParam;
  checkPositiveInt(fn, 'poolParam.poolHeight', poolHeight);
  checkPositiveInt(fn, 'poolParam.poolWidth', poolWidth);
  checkPositiveInt(fn, 'poolParam.stride', stride);
  const [N, H, W, C] = x.shape;
  const outSize = (axis: string, size: number, k: number, kName: string): number => {
    const span = size - k;
    if (span < 0 || span % stride !== 0) {
      throw new Error(
        `${fn}: output ${axis} 1 + (${axis} - ${kName}) / stride = 1 + (${size} - ${k}) / ${stride} is not a whole ` +
          `number >= 1 (x [${x.shape}], window ${poolHeight}x${poolWidth}, stride ${stride})`,
      );
    }
    return 1 + span / stride;
  };
  const Hout = outSize('H', H, poolHeight, 'poolHeight');
  const Wout = outSize('W', W, poolWidth, 'poolWidth');
  return { N, H, W, C, poolHeight, poolWidth, stride, Hout, Wout };
}

/**
 * Forward pass: out[n, i, j, c] = max over (a, b) in the window of x[n, i*stride + a, j*stride + b, c].
 * x: [N, H, W, C]. poolParam: { poolHeight, poolWidth, stride }. Returns out: [N, H', W', C] and the cache.
 */
export function maxPoolForwardNaive(x: tf.Tensor4D, poolParam: PoolParam): { out: tf.Tensor4D; cache: PoolCache } {
  const { N, H, W, C, poolHeight, poolWidth, stride, Hout, Wout } = poolDims('max pool forward naive', x, poolParam);
  const xv = x.dataSync();
  const out = new Float32Array(N * Hout * Wout * C);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Hout; i++) {
      for (let j = 0; j < Wout; j++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          for (let a = 0; a < poolHeight; a++) {
            for (let b = 0; b < poolWidth; b++) {
              const v = xv[((n * H + i * stride + a) * W + j * stride + b) * C + c];
              if (v > best) best = v;
            }
          }
          out[((n * Hout + i) * Wout + j) * C + c] = best;
        }
      }
    }
  }
  const outT = tf.tensor4d(out, [N, Hout, Wout, C]);
  return { out: outT, cache: { x, out: outT, poolParam } };
}

/**
 * Backward pass: the max is a switch, so each window's upstream gradient goes to the entry that was the maximum
 * (split evenly among tied maxima), and the other entries of the window get nothing from it. Overlapping windows
 * (stride smaller than the window) add up their contributions.
 *
 * dout: [N, H', W', C]. Returns dx: [N, H, W, C].
 */
export function maxPoolBackwardNaive(dout: tf.Tensor4D, cache: PoolCache): { dx: tf.Tensor4D } {
  const { x, poolParam } = cache;
  const { N, H, W, C, poolHeight, poolWidth, stride, Hout, Wout } = poolDims('max pool backward naive', x, poolParam);
  checkShape('max pool backward naive', 'dout', dout, [N, Hout, Wout, C]);
  const xv = x.dataSync();
  const dv = dout.dataSync();
  const dx = new Float32Array(xv.length);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Hout; i++) {
      for (let j = 0; j < Wout; j++) {
        for (let c = 0; c < C; c++) {
          // First pass: the window's maximum and how many entries equal it; second: give each of those its share.
          let best = -Infinity;
          let ties = 0;
          for (let a = 0; a < poolHeight; a++) {
            for (let b = 0; b < poolWidth; b++) {
              const v = xv[((n * H + i * stride + a) * W + j * stride + b) * C + c];
              if (v > best) {
                best = v;
                ties = 0;
              }
              if (v === best) ties++;
            }
          }
          const share = dv[((n * Hout + i) * Wout + j) * C + c] / ties;
          for (let a = 0; a < poolHeight; a++) {
            for (let b = 0; b < poolWidth; b++) {
              const k = ((n * H + i * stride + a) * W + j * stride + b) * C + c;
              if (xv[k] === best) dx[k] += share;
            }
          }
        }
      }
    }
  }
  return { dx: tf.tensor4d(dx, [N, H, W, C]) };
}
