/**
 * Convolution on tfjs kernels: the same layer as conv_naive.ts (same arguments, cache and gradients), fast enough
 * to train with (the course's conv_forward_fast / conv_backward_fast, which use im2col in Cython).
 *
 * Layouts: x [N, H, W, C] (NHWC; the course's is [N, C, H, W]), w [HH, WW, C, F] (the course's is
 * [F, C, HH, WW]), b [F], out [N, H', W', F] with H' = 1 + (H + 2 pad - HH) / stride (a whole number).
 *
 * The backward pass is written as two more convolutions, because the wasm backend has a fast Conv2D but no
 * Conv2DBackpropFilter kernel and a slow Conv2DBackpropInput (timings in docs/performance.md).
 *
 * See docs/convolution.md for the derivation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConvCache, ConvParam, convDims } from './conv_naive';
import { checkShape } from './validate';
import { columnSum } from './reduce';

export type { ConvCache, ConvParam } from './conv_naive';

type Padding4D = [[number, number], [number, number], [number, number], [number, number]];

/**
 * conv2d's explicit padding for NHWC: ph rows above and below, pw columns left and right. Explicit, because
 * tfjs 4.22's numeric `pad` computes the output width from the filter's height (a bug with non-square filters).
 */
function spatialPadding(ph: number, pw: number): Padding4D {
  return [
    [0, 0],
    [ph, ph],
    [pw, pw],
    [0, 0],
  ];
}

/**
 * Forward pass: tf.conv2d with `pad` zero rows and columns on every side, plus the bias.
 *
 * x: [N, H, W, C]. w: [HH, WW, C, F]. b: [F]. convParam: { stride, pad }.
 * Returns out: [N, H', W', F] and the cache { x, w, b, convParam }.
 */
export function convForwardFast(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D,
  convParam: ConvParam,
): { out: tf.Tensor4D; cache: ConvCache } {
  const { stride, pad } = convDims('conv forward fast', x, w, b, convParam);
  const out = tf.tidy(() => tf.add(tf.conv2d(x, w, stride, spatialPadding(pad, pad)), b) as tf.Tensor4D);
  return { out, cache: { x, w, b, convParam } };
}

/**
 * Spreads dout [N, H', W', F] onto the stride grid: [N, H' stride, W' stride, F], each entry followed by
 * stride - 1 zero rows and columns. Output position i of a strided convolution read the padded input at rows
 * i * stride .. i * stride + HH - 1; after this spreading, dout's entry i sits at row i * stride, so the input
 * gradient becomes a stride-1 convolution. The stride - 1 zero rows after the last entry are not sliced off
 * (slicing is slow on wasm); the convolution below pads that much less at the bottom instead.
 * Done by padding a size-1 axis after every row and column and folding it back in: no data moves but the pad.
 */
function spreadOnStrideGrid(dout: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return dout;
  const [N, Hout, Wout, F] = dout.shape;
  const spread = tf.pad(tf.reshape(dout, [N, Hout, 1, Wout, 1, F]), [
    [0, 0],
    [0, 0],
    [0, stride - 1],
    [0, 0],
    [0, stride - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [N, Hout * stride, Wout * stride, F]);
}

/**
 * Backward pass, as two convolutions and a sum.
 *
 * dx: each x entry met every filter tap that overlapped it, so dxPadded is the "full" convolution of the
 *   stride-spread dout with the filter turned by 180 degrees and its in/out channels swapped,
 *   wFlip[kh, kw, f, c] = w[HH-1-kh, WW-1-kw, c, f]. Zero-padding the spread dout by HH-1 rows on each side would
 *   give dxPadded [N, H + 2 pad, ., C]; padding by top = HH-1-pad instead gives dx itself, without its pad border,
 *   and the bottom pads stride - 1 rows less because the spread dout already ends in that many zero rows. When an
 *   amount comes out negative (more padding than the filter reaches into, e.g. a 1x1 filter with pad 1), the
 *   convolution pads 0 there and the extra rows are sliced off.
 * dw: dw[kh, kw, c, f] = sum over (n, i, j) of xPadded[n, i*stride+kh, j*stride+kw, c] * dout[n, i, j, f].
 *   Read with c as the batch, n as the channel and (i, j) as filter taps spaced `stride` apart, that is a
 *   convolution of x^T [C, H, W, N] (padded by `pad`) with the filter dout^T [H', W', N, F] dilated by `stride`;
 *   its output [C, HH, WW, F] is transposed back to [HH, WW, C, F].
 * db: the sum of dout over N, H', W' (reduce.ts: wasm's Sum over leading axes transposes dout first).
 *
 * dout: [N, H', W', F]. Returns dx: [N, H, W, C], dw: [HH, WW, C, F], db: [F].
 */
export function convBackwardFast(dout: tf.Tensor4D, cache: ConvCache): { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D } {
  const { x, w, b, convParam } = cache;
  const { N, H, W, C, HH, WW, Hout, Wout, F, stride, pad } = convDims('conv backward fast', x, w, b, convParam);
  checkShape('conv backward fast', 'dout', dout, [N, Hout, Wout, F]);
  return tf.tidy(() => {
    const wFlip = tf.reverse(tf.transpose(w, [0, 1, 3, 2]), [0, 1]) as tf.Tensor4D;
    const top = HH - 1 - pad;
    const left = WW - 1 - pad;
    const bottom = top - (stride - 1);
    const right = left - (stride - 1);
    const padding: Padding4D = [
      [0, 0],
      [Math.max(top, 0), Math.max(bottom, 0)],
      [Math.max(left, 0), Math.max(right, 0)],
      [0, 0],
    ];
    const full = tf.conv2d(spreadOnStrideGrid(dout, stride), wFlip, 1, padding);
    const exact = top >= 0 && bottom >= 0 && left >= 0 && right >= 0;
    const dx = exact ? full : tf.slice(full, [0, Math.max(-top, 0), Math.max(-left, 0), 0], [N, H, W, C]);
    return { dx, ...weightGrads(dout, cache) };
  });
}

/** dw and db of convBackwardFast (see there), for dout [N, H', W', F] already checked. Call inside tf.tidy. */
function weightGrads(dout: tf.Tensor4D, cache: ConvCache): { dw: tf.Tensor4D; db: tf.Tensor1D } {
  const [N, Hout, Wout, F] = dout.shape;
  const { stride, pad } = cache.convParam;
  const xT = tf.transpose(cache.x, [3, 1, 2, 0]) as tf.Tensor4D;
  const doutT = tf.transpose(dout, [1, 2, 0, 3]) as tf.Tensor4D;
  const dw = tf.transpose(tf.conv2d(xT, doutT, 1, spatialPadding(pad, pad), 'NHWC', [stride, stride]), [1, 2, 0, 3]) as tf.Tensor4D;
  const db = columnSum(tf.reshape(dout, [N * Hout * Wout, F]));
  return { dw, db };
}

/**
 * The backward pass of a network's first conv layer while training: dw [HH, WW, C, F] and db [F], skipping dx.
 * That dx would be the gradient with respect to the images, which no update uses, and with 3 input channels it is
 * the least efficient convolution of the step. Saliency maps, which do want it, take convBackwardFast.
 *
 * dout: [N, H', W', F]. Returns dw: [HH, WW, C, F], db: [F], the same values as convBackwardFast's.
 */
export function convBackwardFirstLayer(dout: tf.Tensor4D, cache: ConvCache): { dw: tf.Tensor4D; db: tf.Tensor1D } {
  const { x, w, b, convParam } = cache;
  const { N, Hout, Wout, F } = convDims('conv backward first layer', x, w, b, convParam);
  checkShape('conv backward first layer', 'dout', dout, [N, Hout, Wout, F]);
  return tf.tidy(() => weightGrads(dout, cache));
}
