/**
 * What every update rule's config has in common: hyperparameters are plain numbers, per-parameter state
 * (velocity, cache, m, v) is tensors, and a counter (Adam's t) is a number. The Solver keeps one config per
 * parameter, decays `learningRate` at the end of each epoch, and a checkpoint stores the numbers in its manifest
 * and the tensors in its weights file.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from '../layers/validate';

/** The config of any update rule, as the Solver and checkpoints see it. */
export type OptimConfig = { learningRate: number } & Record<string, number | tf.Tensor>;

/** Throws unless a hyperparameter is a finite number (a tensor or a string here is a caller's mix-up). */
export function checkHyper(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${fn}: config.${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}

/**
 * Returns the given state tensor after checking it has w's shape, or zeros of w's shape when there is none yet
 * (the course's `config.setdefault('velocity', np.zeros_like(w))`).
 */
export function stateOrZeros(fn: string, name: string, state: unknown, w: tf.Tensor): tf.Tensor {
  if (state === undefined || state === null) return tf.zerosLike(w);
  if (!(state instanceof tf.Tensor)) throw new Error(`${fn}: config.${name} must be a tensor of w's shape [${w.shape}], got ${String(state)}`);
  checkSameShape(fn, `config.${name}`, state, 'w', w);
  return state;
}
