/**
 * The contract between a model and the Solver, as in the course: a model exposes its `params` and a `loss`
 * that returns the loss and one gradient per parameter (same keys), or class scores when no labels are given.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface LossAndGrads {
  /** Data loss plus regularisation, a scalar. */
  loss: tf.Scalar;
  /** One gradient per entry of `params`, same key, same shape. */
  grads: Record<string, tf.Tensor>;
}

export interface Model {
  /** Learnable parameters by name ('W1', 'b1', 'gamma1', ...). The Solver updates them with Variable.assign. */
  params: Record<string, tf.Variable>;
  /**
   * X: a minibatch, [N, D] rows or [N, H, W, C] images (NHWC). y: [N] int32 labels in 0..C-1.
   * With y: training mode (dropout on, batchnorm batch statistics), returns loss and gradients.
   * Without y: test mode, returns scores [N, C].
   * Tensors in the result are new; the caller disposes them (the Solver runs each step in tf.tidy).
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  /** Tensors besides params that define the model's behaviour (batchnorm running statistics), for checkpoints. */
  state?(): Record<string, tf.Tensor>;
  /** Restores `state()` output (takes ownership of the tensors). */
  loadState?(state: Record<string, tf.Tensor>): void;
  /** Frees params and state. */
  dispose?(): void;
}
