/**
 * The live gradient check: one minibatch at the current weights through the model's hand-written backward pass,
 * compared parameter by parameter with the project's norm-wise relative error ||a - b|| / max(||a||, ||b||)
 * against one of two references:
 *
 * - autodiff: tfjs autodiff on the reference twin of the same loss (reference/, where autodiff lives); the same
 *   float32 maths, so the two agree to about 1e-7 and the bound is AUTODIFF_BOUND (1e-5);
 * - numeric: the course's own method, centred differences, with the bound PAGE_NUMERIC_BOUND (5e-2). The course
 *   differentiates the loss entry by entry in float64. In float32 the loss near ln 10 carries a rounding error of
 *   about 1e-7, as large as a fresh convnet's whole change in loss along a small step, so the page does what the
 *   course's layer checks do (eval_numerical_gradient_array): it differentiates the scores S, contracted with the
 *   upstream gradient dL/dS = (softmax(S) - onehot(y)) / N, whose rounding is relative to the scores' own tiny
 *   size; the regularisation term, a plain sum of squares, is differenced in float64. One direction per
 *   parameter, the hand-written gradient's own (d = g / ||g||): the centred difference along it must equal
 *   ||g||; a wrong sign gives -||g|| (relative error 2), a wrong scale or a gradient pointing elsewhere a
 *   shorter derivative.
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
import { AUTODIFF_BOUND, relError, tidyValue } from '../src/gradcheck';
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
 * The centred difference's step along the unit direction: RELATIVE_STEP of the parameter's norm, and at least
 * MIN_STEP (fresh biases are zero, and a few steps later still tiny: a step of 1e-4 of their norm drowns in
 * rounding). On the synthetic set at fresh weights (8 images) these leave relative errors of 4e-8 to 3e-3 over
 * the three models' parameters; a relative step of 1e-3 pushed the convnet's W2 to 6e-3 (a relu kink crossed), a
 * step of 1e-3 on zero biases its b1 to 7e-3.
 */
export const RELATIVE_STEP = 1e-4;
export const MIN_STEP = 1e-4;

/**
 * The centred differences' pass bound: src/gradcheck's NUMERIC_BOUND (1e-2) is for single layers on inputs of
 * order 1; through a whole fresh net on raw pixels, correct gradients measured up to 1.1e-2 (the two-layer net's
 * W1 on the end-to-end spec's minibatch, on wasm and on cpu alike), a flipped sign measures 2 and a gradient off
 * by a factor of 2 measures 0.5. 5e-2 sits between.
 */
export const PAGE_NUMERIC_BOUND = 5e-2;

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
 * The regularisation's weight on sum(w^2) for one parameter: assignment 1's softmax puts reg on all of W (bias
 * row included); the nets put reg / 2 on their weights W1, W2, W3 and none on their biases.
 */
function regWeight(model: PageModel, name: string, reg: number): number {
  if (model.params.W && !model.params.W1) return name === 'W' ? reg : 0;
  return name.startsWith('W') ? 0.5 * reg : 0;
}

/**
 * The centred difference along each parameter's hand-written gradient (see the file comment), against that
 * gradient's length. Each parameter gets its own value back before the next is probed.
 */
function numericErrors(model: PageModel, hand: Record<string, tf.Tensor>, X: tf.Tensor4D, y: tf.Tensor1D, reg: number): Record<string, number> {
  const out: Record<string, number> = {};
  const n = X.shape[0];
  const dScores = tf.tidy(() => {
    const scores = model.loss(X) as tf.Tensor2D;
    return tf.div(tf.sub(tf.softmax(scores), tf.oneHot(y, scores.shape[1])), n);
  });
  try {
    for (const [name, param] of Object.entries(model.params)) {
      const g = hand[name].dataSync();
      let length = 0;
      for (const v of g) length += v * v;
      length = Math.sqrt(length);
      if (length === 0) {
        out[name] = 0;
        continue;
      }
      const w0 = param.dataSync().slice();
      let wNorm = 0;
      for (const v of w0) wNorm += v * v;
      const h = Math.max(RELATIVE_STEP * Math.sqrt(wNorm), MIN_STEP);
      const saved = tf.clone(param);
      try {
        const scoresAt = (sign: number): number =>
          tf.tidy(() => {
            param.assign(tf.add(saved, tf.mul(hand[name], (sign * h) / length)));
            return tf.sum(tf.mul(model.loss(X) as tf.Tensor, dScores)).dataSync()[0];
          });
        const dataPart = (scoresAt(1) - scoresAt(-1)) / (2 * h);
        // sum((w + h d)^2) - sum((w - h d)^2) = 4 h sum(w d), in float64.
        let wd = 0;
        for (let i = 0; i < w0.length; i++) wd += w0[i] * (g[i] / length);
        const regPart = regWeight(model, name, reg) * 2 * wd;
        out[name] = relError([dataPart + regPart], [length]).norm;
      } finally {
        param.assign(saved);
        saved.dispose();
      }
    }
  } finally {
    dScores.dispose();
  }
  return out;
}
