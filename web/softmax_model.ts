/**
 * The course's linear softmax classifier (assignment 1's `Softmax`) behind the model contract the Solver trains,
 * so that the page steps all three models with one loop and one set of update rules.
 *
 * The loss and its gradient are the library's softmaxLossVectorized; this class only adds what the contract
 * asks for: a `params` map holding W, images flattened to rows with the bias trick (a column of ones appended,
 * so the last row of W is the bias), and the loss as a tensor. Its regularisation is assignment 1's,
 * reg * sum(W^2), where the nets use assignment 2's 0.5 * reg * sum(W^2).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossAndGrads, Model } from '../src/model';
import { Rng } from '../src/random';
import { softmaxLossVectorized } from '../src/classifiers/softmax';
import { appendBiasColumn } from '../src/data/preprocess';

export interface SoftmaxModelOptions {
  /** D, the size of one flattened image (3072 for CIFAR-10). */
  inputDim?: number;
  numClasses?: number;
  /** L2 strength: loss += reg * sum(W^2). */
  reg?: number;
  /** W starts as weightScale * N(0, 1), the course's 0.001. */
  weightScale?: number;
  seed?: number;
}

export class SoftmaxModel implements Model {
  readonly kind = 'Softmax';
  readonly options: Required<SoftmaxModelOptions>;
  /** W: [D + 1, C], the last row the bias. */
  params: Record<string, tf.Variable>;

  constructor(options: SoftmaxModelOptions = {}) {
    this.options = { inputDim: 3072, numClasses: 10, reg: 0, weightScale: 1e-3, seed: 0, ...options };
    const { inputDim, numClasses, weightScale, seed } = this.options;
    const init = new Rng(seed).randn([inputDim + 1, numClasses], weightScale);
    this.params = { W: tf.variable(init, true) };
    init.dispose();
  }

  /** X [N, ...] flattening to D, to rows with the bias column [N, D + 1]. */
  private rows(X: tf.Tensor): tf.Tensor2D {
    const n = X.shape[0];
    const d = X.size / n;
    if (X.rank < 2 || d !== this.options.inputDim) {
      throw new Error(`SoftmaxModel: X must be [N, ...] flattening to ${this.options.inputDim} features, got shape [${X.shape}]`);
    }
    return tf.tidy(() => appendBiasColumn(tf.reshape(X, [n, d]) as tf.Tensor2D));
  }

  /**
   * X: [N, 32, 32, 3] images (or [N, D] rows). y: [N] int32 labels.
   * With y: { loss, grads: { W } }; without: scores [N, C].
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    const W = this.params.W as tf.Tensor2D;
    const rows = this.rows(X);
    try {
      if (y === undefined) return tf.matMul(rows, W) as tf.Tensor2D;
      const { loss, dW } = softmaxLossVectorized(W, rows, y, this.options.reg);
      return { loss: tf.scalar(loss), grads: { W: dW } };
    } finally {
      rows.dispose();
    }
  }

  /**
   * The gradient of an objective of the scores with respect to the input, as the nets' inputGradient: scores are
   * rows W, so dX = dscores W^T without the bias row, in X's shape.
   * X: [N, 32, 32, 3]. dscores: given scores [N, C], returns d(objective)/d(scores) [N, C].
   */
  inputGradient<T extends tf.Tensor>(X: T, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: T } {
    const W = this.params.W as tf.Tensor2D;
    const rows = this.rows(X);
    try {
      return tf.tidy(() => {
        const scores = tf.matMul(rows, W) as tf.Tensor2D;
        const upstream = dscores(scores);
        const weights = tf.slice(W, [0, 0], [this.options.inputDim, this.options.numClasses]);
        const dX = tf.reshape(tf.matMul(upstream, tf.transpose(weights)), X.shape) as T;
        return { scores, dX };
      });
    } finally {
      rows.dispose();
    }
  }

  dispose(): void {
    this.params.W.dispose();
  }
}
