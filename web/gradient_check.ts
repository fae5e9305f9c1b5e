/**
 * The live gradient check: one minibatch at the current weights through the model's hand-written backward pass,
 * compared parameter by parameter with the project's norm-wise relative error ||a - b|| / max(||a||, ||b||)
 * against one of two references:
 *
 * - autodiff: tfjs autodiff on the reference twin of the same loss (reference/, where autodiff lives); the same
 *   float32 maths, so the two agree to about 1e-7 and the bound is AUTODIFF_BOUND (1e-5);
 * - numeric: the course's own method, centred differences, with the library's bound NUMERIC_BOUND (1e-2). The
 *   loss is recomputed in float64 by plain loops (reference/page_models_plain.ts) from the weights and the
 *   minibatch, so float32's rounding of a loss near ln 10 (about 1e-7, as large as a small step's whole change in
 *   loss) cannot blame correct code, at fresh weights or after training. One direction per parameter, the
 *   hand-written gradient's own (d = g / ||g||): the centred difference along it must equal ||g||; a wrong sign
 *   gives -||g|| (relative error 2), a wrong scale or a gradient pointing elsewhere a shorter derivative.
 *
 * "Plant a bug" flips the sign of the first parameter's hand-written gradient (W, or W1) before the comparison,
 * as a wrong sign in that layer's backward pass would: its row must fail, by a relative error near 1 or above.
 *
 * Where the page trains on wasm and the model convolves, the autodiff check runs on the cpu backend: wasm has no
 * kernel for the filter gradient of a convolution (Conv2DBackpropFilter), so autodiff through conv2d fails there. The
 * weights and the minibatch are copied over, a twin of the model is built there, and the page's backend is
 * restored before training goes on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { autodiffGrads } from '../reference/crosscheck';
import { softmaxLossRef } from '../reference/layers_dense';
import { fcNetLossRef, threeLayerConvNetLossRef } from '../reference/models';
import { pageModelLossPlain, type PlainTensor } from '../reference/page_models_plain';
import { AUTODIFF_BOUND, NUMERIC_BOUND, relError, tidyValue } from '../src/gradcheck';
import type { PageModel } from './models';

export interface GradCheckRow {
  param: string;
  shape: number[];
  /** Norm-wise relative error, hand-written vs autodiff. */
  relError: number;
  /** ||hand-written gradient||. */
  norm: number;
  pass: boolean;
}

/**
 * The centred difference's step along the unit direction, in float64: the loss's rounding (about 1e-16) over the
 * step leaves 1e-10, and the step is small enough that a ReLU or max-pool kink is rarely crossed.
 */
export const NUMERIC_STEP = 1e-6;

/** The centred differences' pass bound: the library's (src/gradcheck.ts). Correct code measures far below it. */
export const PAGE_NUMERIC_BOUND = NUMERIC_BOUND;

export type GradCheckMode = 'autodiff' | 'numeric';

export interface GradCheckOptions {
  mode: GradCheckMode;
  /** Flip the sign of the first parameter's hand-written gradient (see the file comment). */
  plant: boolean;
}

export interface GradCheckResult {
  mode: GradCheckMode;
  /** The parameter whose gradient was planted wrong, or null. */
  planted: string | null;
  rows: GradCheckRow[];
  /** The backend both ran on. */
  backend: string;
  examples: number;
  loss: number;
  bound: number;
}

/** The autodiff twin of a page model's training loss, by its parameters (see layer_view.ts for the three). */
function referenceLoss(params: Record<string, tf.Tensor>, X: tf.Tensor, y: tf.Tensor, reg: number): tf.Scalar {
  if (params.W && !params.W1) {
    // Softmax: assignment 1's reg * sum(W^2), the bias row included as softmaxLossVectorized does.
    const n = X.shape[0];
    const rows = tf.concat([tf.reshape(X, [n, -1]), tf.ones([n, 1])], 1);
    return tf.add(softmaxLossRef(tf.matMul(rows, params.W as tf.Tensor2D), y), tf.mul(reg, tf.sum(tf.square(params.W)))) as tf.Scalar;
  }
  if (params.W1.rank === 2) return fcNetLossRef(params, tf.reshape(X, [X.shape[0], -1]), y, { numLayers: 2, normalization: 'none', reg });
  return threeLayerConvNetLossRef(params, X as tf.Tensor4D, y, { reg, batchnorm: false });
}

/**
 * model: the live model; twin(): a fresh model of the same kind and regularisation (used on the cpu backend).
 * X: [N, 32, 32, 3], y: [N] int32 — the minibatch. reg: the model's regularisation strength.
 * Returns one row per parameter. Leaves the page's backend as it found it.
 */
export async function gradientCheck(
  model: PageModel,
  twin: () => PageModel,
  X: tf.Tensor4D,
  y: tf.Tensor1D,
  reg: number,
  options: GradCheckOptions = { mode: 'autodiff', plant: false },
): Promise<GradCheckResult> {
  const home = tf.getBackend();
  const convolves = model.params.W1?.rank === 4;
  const away = home === 'wasm' && convolves && options.mode === 'autodiff';
  if (!away) return { ...compare(model, X, y, reg, options), backend: home };

  const weights = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, { shape: v.shape, values: v.dataSync().slice() }]));
  const xs = { shape: X.shape, values: X.dataSync().slice() };
  const ys = y.dataSync().slice();
  await tf.setBackend('cpu');
  let copy: PageModel | null = null;
  const local: tf.Tensor[] = [];
  try {
    copy = twin();
    for (const [k, w] of Object.entries(weights)) {
      const value = tf.tensor(w.values, w.shape);
      copy.params[k].assign(value);
      value.dispose();
    }
    const Xc = tf.tensor4d(xs.values as Float32Array, xs.shape);
    const yc = tf.tensor1d(ys as Int32Array, 'int32');
    local.push(Xc, yc);
    return { ...compare(copy, Xc, yc, reg, options), backend: 'cpu' };
  } finally {
    // Tensors made for the copy live on cpu: free them there, then go home.
    copy?.dispose();
    tf.dispose(local);
    await tf.setBackend(home);
  }
}

/** The parameter a planted bug flips: the first layer's weights. */
function plantedParam(model: PageModel): string {
  return model.params.W1 ? 'W1' : 'W';
}

function compare(model: PageModel, X: tf.Tensor4D, y: tf.Tensor1D, reg: number, options: GradCheckOptions): Omit<GradCheckResult, 'backend'> {
  const planted = options.plant ? plantedParam(model) : null;
  const bound = options.mode === 'autodiff' ? AUTODIFF_BOUND : PAGE_NUMERIC_BOUND;
  return tidyValue(() => {
    const { loss, grads } = model.loss(X, y);
    const hand: Record<string, tf.Tensor> = { ...grads };
    if (planted) hand[planted] = tf.neg(grads[planted]);
    const errors = options.mode === 'autodiff' ? autodiffErrors(model, hand, X, y, reg) : numericErrors(model, hand, X, y, reg);
    const rows = Object.keys(model.params).map((param) => {
      const norm = tf.sqrt(tf.sum(tf.square(hand[param]))).dataSync()[0];
      return { param, shape: hand[param].shape, relError: errors[param], norm, pass: errors[param] <= bound };
    });
    return { mode: options.mode, planted, rows, examples: X.shape[0], loss: loss.dataSync()[0], bound };
  });
}

function autodiffErrors(model: PageModel, hand: Record<string, tf.Tensor>, X: tf.Tensor4D, y: tf.Tensor1D, reg: number): Record<string, number> {
  const params: Record<string, tf.Tensor> = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, tf.clone(v)]));
  const reference = autodiffGrads((named) => referenceLoss(named, X, y, reg), params);
  return Object.fromEntries(Object.keys(model.params).map((k) => [k, relError(hand[k], reference[k]).norm]));
}

/**
 * The centred difference of the float64 loss (reference/page_models_plain.ts) along each parameter's
 * hand-written gradient d = g / ||g||, against that gradient's length: (L(w + h d) - L(w - h d)) / 2h must equal
 * ||g||. In float64 the loss's rounding (1e-16) is far below the change along the step, at fresh weights and after
 * training alike, so correct code measures about 1e-7 or better whatever the gradient's size.
 */
function numericErrors(model: PageModel, hand: Record<string, tf.Tensor>, X: tf.Tensor4D, y: tf.Tensor1D, reg: number): Record<string, number> {
  const n = X.shape[0];
  const xs = Float64Array.from(X.dataSync());
  const ys = Array.from(y.dataSync());
  const params: Record<string, PlainTensor> = Object.fromEntries(
    Object.entries(model.params).map(([k, v]) => [k, { shape: v.shape, values: Float64Array.from(v.dataSync()) }]),
  );
  const out: Record<string, number> = {};
  for (const name of Object.keys(params)) {
    const g = hand[name].dataSync();
    let length = 0;
    for (const v of g) length += v * v;
    length = Math.sqrt(length);
    if (length === 0) {
      out[name] = 0;
      continue;
    }
    const w0 = params[name].values as Float64Array;
    const h = NUMERIC_STEP;
    const lossAt = (sign: number): number => {
      const moved = w0.map((v, i) => v + (sign * h * g[i]) / length);
      return pageModelLossPlain({ ...params, [name]: { shape: params[name].shape, values: moved } }, xs, n, ys, reg);
    };
    const numeric = (lossAt(1) - lossAt(-1)) / (2 * h);
    out[name] = relError([numeric], [length]).norm;
  }
  return out;
}
