/**
 * The cross-check: tfjs autodiff (tf.grads) on an autodiff twin of a layer, compared with the layer's
 * hand-written backward on the same seeded inputs. Autodiff lives here, in reference/, and nowhere in src/.
 *
 * Run on the cpu backend where a layer involves conv2d: wasm has no Conv2DBackpropFilter kernel, so tf.grad
 * through conv2d fails there.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions (the union package does this for us): without this import
// tf.grads fails with 'gradient function not found'.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { relError, RelErr, AUTODIFF_BOUND } from '../src/gradcheck';

/**
 * Gradients of sum(f(inputs) * dout) with respect to every named input, by tf.grads.
 *
 * f: the autodiff twin, a forward built from differentiable tf ops; takes the named inputs, returns the output.
 * inputs: name -> tensor; every one is differentiated.
 * dout: upstream gradient, f's output shape (omit when f returns a scalar loss).
 * Returns name -> gradient tensor (caller disposes).
 */
export function autodiffGrads(
  f: (inputs: Record<string, tf.Tensor>) => tf.Tensor,
  inputs: Record<string, tf.Tensor>,
  dout?: tf.Tensor,
): Record<string, tf.Tensor> {
  const names = Object.keys(inputs);
  const g = tf.grads((...xs: tf.Tensor[]) => {
    const named: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => (named[n] = xs[i]));
    const out = f(named);
    return dout ? tf.sum(tf.mul(out, dout)) : tf.sum(out);
  });
  const grads = g(names.map((n) => inputs[n]));
  const result: Record<string, tf.Tensor> = {};
  names.forEach((n, i) => (result[n] = grads[i]));
  return result;
}

export interface CrossCheckRow extends RelErr {
  layer: string;
  param: string;
  pass: boolean;
}

/**
 * Absolute floor below which two gradients count as equal whatever their relative error. Some gradients are zero
 * in exact arithmetic (the bias of a layer followed by batchnorm: batchnorm removes any constant shift), and float32
 * then yields rounding noise on both sides, ~1e-8 per entry: the relative error of two noises is ~1 and means
 * nothing. Real gradients in these checks are of order 1e-2 and above, far from the floor.
 */
export const ABS_FLOOR = 1e-6;

/**
 * Compares hand-written gradients with autodiff gradients, one row per named gradient.
 *
 * layer: a label for the report. hand: name -> hand-written gradient. auto: name -> autodiff gradient.
 * Names present in only one of the two are an error: a gradient nobody checked is a gradient that may be wrong.
 */
export function compareGrads(
  layer: string,
  hand: Record<string, tf.Tensor>,
  auto: Record<string, tf.Tensor>,
  bound = AUTODIFF_BOUND,
): CrossCheckRow[] {
  const names = Object.keys(auto);
  for (const n of Object.keys(hand)) if (!(n in auto)) throw new Error(`${layer}: hand-written gradient '${n}' has no autodiff twin`);
  return names.map((param) => {
    if (!(param in hand)) throw new Error(`${layer}: no hand-written gradient for '${param}'`);
    const h = hand[param];
    const a = auto[param];
    if (h.size !== a.size) throw new Error(`${layer}.${param}: hand-written gradient shape [${h.shape}] vs autodiff [${a.shape}]`);
    const err = relError(h, a);
    return { layer, param, ...err, pass: err.norm <= bound || err.scale <= ABS_FLOOR };
  });
}
