/**
 * Convolution, the naive way: plain loops over typed arrays, one output number at a time, so that a student can
 * follow the forward and backward passes loop by loop (the course's conv_forward_naive / conv_backward_naive).
 * conv_fast.ts computes the same thing with tfjs kernels.
 *
 * Layouts: images x are [N, H, W, C] (NHWC, tfjs's layout; the course's are [N, C, H, W]); filters w are
 * [HH, WW, C, F] (tfjs's conv2d layout; the course's are [F, C, HH, WW]); biases b are [F].
 * In a flat NHWC array, entry (n, h, w, c) sits at ((n * H + h) * W + w) * C + c; in a flat filter array, entry
 * (kh, kw, c, f) sits at ((kh * WW + kw) * C + c) * F + f. Every loop below indexes with those two formulas.
 *
 * Zero padding is symmetric, `pad` rows and columns on every side, as in the course, and the output size is
 *   H' = 1 + (H + 2 * pad - HH) / stride,   W' = 1 + (W + 2 * pad - WW) / stride,
 * which must come out as whole numbers: a filter that does not tile the padded image evenly is an error, not a
 * silent crop.
 *
 * See docs/convolution.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkPositiveInt, checkRank, checkShape } from './validate';

export interface ConvParam {
  /** Step between neighbouring filter positions, the same along height and width. */
  stride: number;
  /** Zero rows/columns added on each side of the image before convolving. */
  pad: number;
}

/** What the backward pass needs: the forward inputs. Shared by the naive and fast layers. */
export interface ConvCache {
  x: tf.Tensor4D;
  w: tf.Tensor4D;
  b: tf.Tensor1D;
  convParam: ConvParam;
}

/** Sizes of a convolution, read off its arguments. */
export interface ConvDims {
  N: number;
  H: number;
  W: number;
  C: number;
  HH: number;
  WW: number;
  F: number;
  Hout: number;
  Wout: number;
  stride: number;
  pad: number;
}

/**
 * Checks the arguments of a convolution and returns its sizes.
 *
 * fn: the caller's name for error messages. x: [N, H, W, C]. w: [HH, WW, C, F]. b: [F].
 * Throws, naming the argument and its shape, on a wrong rank, a channel count of x that differs from w's, a bias
 * of the wrong length, a stride or pad that is not a whole number, or an output size that is not a whole number.
 */
export function convDims(fn: string, x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, convParam: ConvParam): ConvDims {
  checkRank(fn, 'x', x, 4, '[N, H, W, C]');
  checkRank(fn, 'w', w, 4, '[HH, WW, C, F]');
  checkRank(fn, 'b', b, 1, '[F]');
  const [N, H, W, C] = x.shape;
  const [HH, WW, wC, F] = w.shape;
  if (wC !== C) {
    throw new Error(`${fn}: x [N, H, W, C] = [${x.shape}] has C = ${C} channels but w [HH, WW, C, F] = [${w.shape}] has C = ${wC}`);
  }
  checkShape(fn, 'b', b, [F]);
  const { stride, pad } = convParam;
  checkPositiveInt(fn, 'convParam.stride', stride);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`${fn}: convParam.pad must be a non-negative integer, got ${pad}`);
  const outSize = (axis: string, size: number, k: number, kName: string): number => {
    const span = size + 2 * pad - k;
    if (span < 0 || span % stride !== 0) {
      throw new Error(
        `${fn}: output ${axis} 1 + (${axis} + 2 * pad - ${kName}) / stride = 1 + (${size} + 2 * ${pad} - ${k}) / ${stride} ` +
          `is not a whole number >= 1 (x [${x.shape}], w [${w.shape}], stride ${stride}, pad ${pad}); change pad or stride`,
      );
    }
    return 1 + span / stride;
  };
  const Hout = outSize('H', H, HH, 'HH');
  const Wout = outSize('W', W, WW, 'WW');
  return { N, H, W, C, HH, WW, F, Hout, Wout, stride, pad };
}

/** Copies [N, H, W, C] values into a zero-filled [N, H + 2 pad, W + 2 pad, C] array. */
function padImages(x: ArrayLike<number>, d: ConvDims): Float64Array {
  const { N, H, W, C, pad } = d;
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const xp = new Float64Array(N * Hp * Wp * C);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) xp[((n * Hp + h + pad) * Wp + w + pad) * C + c] = x[((n * H + h) * W + w) * C + c];
  return xp;
}

/** The inverse of padImages: keeps the central [N, H, W, C] of a padded array. */
function cropImages(xp: Float64Array, d: ConvDims): Float32Array {
  const { N, H, W, C, pad } = d;
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const x = new Float32Array(N * H * W * C);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) x[((n * H + h) * W + w) * C + c] = xp[((n * Hp + h + pad) * Wp + w + pad) * C + c];
  return x;
}

/**
 * Forward pass: out[n, i, j, f] = b[f] + sum over (kh, kw, c) of
 *   xPadded[n, i * stride + kh, j * stride + kw, c] * w[kh, kw, c, f].
 *
 * x: [N, H, W, C]. w: [HH, WW, C, F]. b: [F]. convParam: { stride, pad }.
 * Returns out: [N, H', W', F] and the cache. Sums run in float64 and are stored as float32.
 */
export function convForwardNaive(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  convParam: ConvParam,
): { out: tf.Tensor4D; cache: ConvCache } {
  const d = convDims('conv forward naive', x, w, b, convParam);
  const { N, H, W, C, HH, WW, F, Hout, Wout, stride, pad } = d;
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const xp = padImages(x.dataSync(), d);
  const wv = w.dataSync();
  const bv = b.dataSync();
  const out = new Float32Array(N * Hout * Wout * F);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Hout; i++) {
      for (let j = 0; j < Wout; j++) {
        for (let f = 0; f < F; f++) {
          // One output number: the filter f laid over the window whose top-left corner is (i*stride, j*stride).
          let sum = bv[f];
          for (let kh = 0; kh < HH; kh++) {
            for (let kw = 0; kw < WW; kw++) {
              const xRow = ((n * Hp + i * stride + kh) * Wp + j * stride + kw) * C;
              const wRow = (kh * WW + kw) * C;
              for (let c = 0; c < C; c++) sum += xp[xRow + c] * wv[(wRow + c) * F + f];
            }
          }
          out[((n * Hout + i) * Wout + j) * F + f] = sum;
        }
      }
    }
  }
  return { out: tf.tensor4d(out, [N, Hout, Wout, F]), cache: { x, w, b, convParam } };
}

/**
 * Backward pass. Each output number out[n, i, j, f] was a sum of products xPadded * w plus b[f], so its upstream
 * gradient d = dout[n, i, j, f] flows to every factor of every product:
 *   db[f] += d,   dw[kh, kw, c, f] += xPadded[n, i*stride+kh, j*stride+kw, c] * d,
 *   dxPadded[n, i*stride+kh, j*stride+kw, c] += w[kh, kw, c, f] * d,
 * and dx is dxPadded without its padding (the padding zeros are constants, their gradient goes nowhere).
 *
 * dout: [N, H', W', F]. Returns dx: [N, H, W, C], dw: [HH, WW, C, F], db: [F].
 */
export function convBackwardNaive(dout: tf.Tensor4D, cache: ConvCache): { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D } {
  const { x, w, b, convParam } = cache;
  const d = convDims('conv backward naive', x, w, b, convParam);
  const { N, H, W, C, HH, WW, F, Hout, Wout, stride, pad } = d;
  checkShape('conv backward naive', 'dout', dout, [N, Hout, Wout, F]);
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const xp = padImages(x.dataSync(), d);
  const wv = w.dataSync();
  const dv = dout.dataSync();
  const dxp = new Float64Array(xp.length);
  const dw = new Float64Array(wv.length);
  const db = new Float64Array(F);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Hout; i++) {
      for (let j = 0; j < Wout; j++) {
        for (let f = 0; f < F; f++) {
          const g = dv[((n * Hout + i) * Wout + j) * F + f];
          db[f] += g;
          for (let kh = 0; kh < HH; kh++) {
            for (let kw = 0; kw < WW; kw++) {
              const xRow = ((n * Hp + i * stride + kh) * Wp + j * stride + kw) * C;
              const wRow = (kh * WW + kw) * C;
              for (let c = 0; c < C; c++) {
                dw[(wRow + c) * F + f] += xp[xRow + c] * g;
                dxp[xRow + c] += wv[(wRow + c) * F + f] * g;
              }
            }
          }
        }
      }
    }
  }
  return {
    dx: tf.tensor4d(cropImages(dxp, d), [N, H, W, C]),
    dw: tf.tensor4d(Float32Array.from(dw), [HH, WW, C, F]),
    db: tf.tensor1d(Float32Array.from(db)),
  };
}
