/**
 * The live gradient check: one minibatch at the current weights through the model's hand-written backward pass
 * and through tfjs autodiff on the reference twin of the same loss (reference/, where autodiff lives), compared
 * parameter by parameter with the project's norm-wise relative error ||a - b|| / max(||a||, ||b||).
 *
 * Where the page trains on wasm and the model convolves, both run on the cpu backend: wasm has no kernel for
 * the filter gradient of a convolution (Conv2DBackpropFilter), so autodiff through conv2d fails there. The
 * weights and the minibatch are copied over, a twin of the model is built there, and the page's backend is
 * restored before training goes on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { autodiffGrads } from '../reference/crosscheck';
import { softmaxLossRef } from '../reference/layers_dense';
import { fcNetLossRef, threeLayerConvNetLossRef } from '../reference/models';
import { AUTODIFF_BOUND, relError } from '../src/gradcheck';
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

export interface GradCheckResult {
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
export async function gradientCheck(model: PageModel, twin: () => PageModel, X: tf.Tensor4D, y: tf.Tensor1D, reg: number): Promise<GradCheckResult> {
  const home = tf.getBackend();
  const convolves = model.params.W1?.rank === 4;
  const away = home === 'wasm' && convolves;
  if (!away) return { ...compare(model, X, y, reg), backend: home };

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
    return { ...compare(copy, Xc, yc, reg), backend: 'cpu' };
  } finally {
    // Tensors made for the copy live on cpu: free them there, then go home.
    copy?.dispose();
    tf.dispose(local);
    await tf.setBackend(home);
  }
}

function compare(model: PageModel, X: tf.Tensor4D, y: tf.Tensor1D, reg: number): Omit<GradCheckResult, 'backend'> {
  return tf.tidy(() => {
    const { loss, grads } = model.loss(X, y);
    const params: Record<string, tf.Tensor> = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, tf.clone(v)]));
    const reference = autodiffGrads((named) => referenceLoss(named, X, y, reg), params);
    const rows = Object.keys(model.params).map((param) => {
      const e = relError(grads[param], reference[param]);
      const norm = tf.sqrt(tf.sum(tf.square(grads[param]))).dataSync()[0];
      return { param, shape: grads[param].shape, relError: e.norm, norm, pass: e.norm <= AUTODIFF_BOUND };
    });
    return { rows, examples: X.shape[0], loss: loss.dataSync()[0], bound: AUTODIFF_BOUND };
  });
}
