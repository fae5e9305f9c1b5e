/**
 * Convolution on tfjs kernels: the same layer as conv_naive.ts (same arguments, cache and gradients), fast enough
 * to train with (the course's conv_forward_fast / conv_backward_fast, which use im2col in Cython).
 *
 * Layouts: x [N, H, W, C] (NHWC; the course's is [N, C, H, W]), w [HH, WW, C, F] (the course's is
 * [F, C, HH, WW]), b [F], out [N, H', W', F] with H' = 1 + (H + 2 pad - HH) / stride (a whole number).
 *
 * The backward pass is a convolution for dx and a matrix product for dw, because the wasm backend has a fast
 * Conv2D and matMul but no Conv2DBackpropFilter kernel and a slow Conv2DBackpropInput (timings in
 * docs/performance.md).
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
 * Forward pass: tf.conv2d with `pad` zero rows and columns on every side, plus the bias. The bias goes into the
 * convolution (tf.fused.conv2d), which adds it on XNNPACK's threads: a separate tf.add is one more single-threaded
 * pass over the output (docs/performance.md). Each output starts from the bias instead of ending with it, so the
 * last bits can differ from conv2d + add.
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
  const out = tf.fused.conv2d({ x, filter: w, strides: stride, pad: spatialPadding(pad, pad), bias: b });
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
 * Backward pass, as a convolution, a matrix product and a sum.
 *
 * dx: each x entry met every filter tap that overlapped it, so dxPadded is the "full" convolution of the
 *   stride-spread dout with the filter turned by 180 degrees and its in/out channels swapped,
 *   wFlip[kh, kw, f, c] = w[HH-1-kh, WW-1-kw, c, f]. Zero-padding the spread dout by HH-1 rows on each side would
 *   give dxPadded [N, H + 2 pad, ., C]; padding by top = HH-1-pad instead gives dx itself, without its pad border,
 *   and the bottom pads stride - 1 rows less because the spread dout already ends in that many zero rows. When an
 *   amount comes out negative (more padding than the filter reaches into, e.g. a 1x1 filter with pad 1), the
 *   convolution pads 0 there and the extra rows are sliced off.
 * dw: dw[kh, kw, c, f] = sum over (n, i, j) of xPadded[n, i*stride+kh, j*stride+kw, c] * dout[n, i, j, f]: the
 *   transposed im2col matrix of x times dout, one matrix product (filterGradient below).
 * db: the sum of dout over N, H', W' (reduce.ts: wasm's Sum over leading axes transposes dout first).
 *
 * dout: [N, H', W', F]. Returns dx: [N, H, W, C], dw: [HH, WW, C, F], db: [F].
 */
export function convBackwardFast(dout: tf.Tensor4D, cache: ConvCache): { dx: tf.Tensor4D; dw: tf.Tensor4D; db: tf.Tensor1D } {
  const { x, w, b, convParam } = cache;
  const { N, H, W, C, HH, WW, Hout, Wout, F, stride, pad } = convDims('conv backward fast', x, w, b, convParam);
  checkShape('conv backward fast', 'dout', dout, [N, Hout, Wout, F]);
  return tf.tidy(() => {
    const wFlip = turnFilter(w);
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

/**
 * w [HH, WW, C, F] turned by 180 degrees with its in/out channels swapped: wFlip[kh, kw, f, c] = w[HH-1-kh,
 * WW-1-kw, c, f]. Turning both spatial axes reverses the flat tap index kh * WW + kw, so one gatherND of whole
 * [F * C] rows does it (wasm's Reverse kernel moves one element at a time, ~10x slower). Call inside tf.tidy.
 */
function turnFilter(w: tf.Tensor4D): tf.Tensor4D {
  const [HH, WW, C, F] = w.shape;
  const taps = HH * WW;
  const swapped = tf.reshape(tf.transpose(w, [0, 1, 3, 2]), [taps, F * C]);
  const reversed = tf.gatherND(swapped, tf.tensor2d(Int32Array.from({ length: taps }, (_, k) => taps - 1 - k), [taps, 1], 'int32'));
  return tf.reshape(reversed, [HH, WW, F, C]) as tf.Tensor4D;
}

/** dw and db of convBackwardFast (see there), for dout [N, H', W', F] already checked. Call inside tf.tidy. */
function weightGrads(dout: tf.Tensor4D, cache: ConvCache): { dw: tf.Tensor4D; db: tf.Tensor1D } {
  const [N, Hout, Wout, F] = dout.shape;
  const [HH, WW, C] = cache.w.shape;
  const dw = tf.reshape(filterGradient(cache.x, dout, HH, WW, cache.convParam, MAX_PATCH_FLOATS), [HH, WW, C, F]) as tf.Tensor4D;
  const db = columnSum(tf.reshape(dout, [N * Hout * Wout, F]));
  return { dw, db };
}

/**
 * Largest patch matrix filterGradient builds at once, in floats (8 MB): larger layers and batches take it in bands
 * of output positions, whose products add up. Small bands are also faster: each product's long inner dimension
 * (positions x N) then fits in cache, where one product over all positions streams both operands from memory once
 * per tile of the result (the step 8 % faster than with 128 MB bands; docs/performance.md).
 */
const MAX_PATCH_FLOATS = 2 ** 21;

/**
 * dw as matrix products with no transposed operand (wasm's matMul takes XNNPACK only then; timings in
 * docs/performance.md), over bands of output positions q = (i, j) whose products add up:
 *   dw[(kh, kw, c), f] = sum over (q, n) of patchesT[(kh, kw, c), (q, n)] * doutT[(q, n), f],
 * where patchesT[(kh, kw, c), (i, j, n)] = xPadded[n, i*stride + kh, j*stride + kw, c] is the course's im2col
 * matrix, transposed. A band's patchesT is gathered (one gatherND of whole rows of N floats) from x with the batch
 * axis moved last, [H + 2 pad, W + 2 pad, C, N], and its doutT from dout with the batch axis moved inside,
 * [H' W', N F]. maxPatchFloats bounds a band's patchesT. Returns dw as [HH * WW * C, F]; exported for the spec of
 * the bands.
 */
export function filterGradient(x: tf.Tensor4D, dout: tf.Tensor4D, HH: number, WW: number, convParam: ConvParam, maxPatchFloats: number): tf.Tensor2D {
  const [N, H, W, C] = x.shape;
  const [, Hout, Wout, F] = dout.shape;
  const { stride, pad } = convParam;
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  const positions = Hout * Wout;
  // x to [H, W, C, N] in two moves, whole [C] rows to the front, then each position's [N, C] block turned: wasm's
  // Transpose runs one float at a time, and these small blocks stay in cache (2.3 times faster, docs/performance.md).
  const xT = tf.reshape(tf.transpose(tf.transpose(tf.reshape(x, [N, H * W, C]), [1, 0, 2]), [0, 2, 1]), [H, W, C, N]);
  const xTPadded = tf.reshape(tf.pad(xT, [[pad, pad], [pad, pad], [0, 0], [0, 0]]), [Hp * Wp * C, N]) as tf.Tensor2D;
  const doutT = tf.reshape(tf.transpose(dout, [1, 2, 0, 3]), [positions, N * F]) as tf.Tensor2D;
  const perBand = Math.max(1, Math.floor(maxPatchFloats / (HH * WW * C * N)));
  let dw: tf.Tensor2D | undefined;
  for (let q0 = 0; q0 < positions; q0 += perBand) {
    const count = Math.min(perBand, positions - q0);
    const rows = patchRows(C, Hp, Wp, HH, WW, stride, Wout, q0, count);
    const patchesT = tf.reshape(tf.gatherND(xTPadded, tf.tensor2d(rows, [rows.length, 1], 'int32')), [HH * WW * C, count * N]) as tf.Tensor2D;
    const band = count === positions ? doutT : tf.gatherND(doutT, tf.tensor2d(Int32Array.from({ length: count }, (_, r) => q0 + r), [count, 1], 'int32'));
    const part: tf.Tensor2D = tf.matMul(patchesT, tf.reshape(band, [count * N, F]) as tf.Tensor2D);
    dw = dw === undefined ? part : tf.add<tf.Tensor2D>(dw, part);
  }
  return dw as tf.Tensor2D;
}

/**
 * Row numbers into the padded x [Hp, Wp, C, N] viewed as [Hp * Wp * C, N] rows: for each (kh, kw, c) and output
 * position q = i * Wout + j in q0 .. q0 + count - 1, the row (i*stride + kh, j*stride + kw, c). Kept per shape: the
 * same layers ask for the same rows every step.
 */
function patchRows(C: number, Hp: number, Wp: number, HH: number, WW: number, stride: number, Wout: number, q0: number, count: number): Int32Array {
  const key = [C, Hp, Wp, HH, WW, stride, Wout, q0, count].join(',');
  let idx = patchRowCache.get(key);
  if (idx !== undefined) return idx;
  idx = new Int32Array(HH * WW * C * count);
  let k = 0;
  for (let kh = 0; kh < HH; kh++) {
    for (let kw = 0; kw < WW; kw++) {
      for (let c = 0; c < C; c++) {
        for (let q = q0; q < q0 + count; q++) {
          const i = Math.floor(q / Wout);
          const j = q - i * Wout;
          idx[k++] = ((i * stride + kh) * Wp + j * stride + kw) * C + c;
        }
      }
    }
  }
  if (patchRowCache.size >= 1024) patchRowCache.clear();
  patchRowCache.set(key, idx);
  return idx;
}

const patchRowCache = new Map<string, Int32Array>();

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
