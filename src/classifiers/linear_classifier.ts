/**
 * A linear classifier scores = X W trained by minibatch stochastic gradient descent, with two losses plugged in:
 * LinearSVM (multiclass hinge) and Softmax (cross-entropy). The course's `linear_classifier.py`.
 *
 * The bias is not a separate parameter: as in the course, callers append a column of ones to X (the "bias
 * trick"), so the last row of W plays the bias.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, checkRank } from '../layers/validate';
import { Rng } from '../random';
import { Labels, numClassesOf } from './labels';
import { LossAndGradW } from './linear_loss';
import { svmLossVectorized } from './linear_svm';
import { softmaxLossVectorized } from './softmax';

export interface LinearTrainOptions {
  /** SGD step size. Default 1e-3. */
  learningRate?: number;
  /** L2 regularisation strength: the loss adds reg * sum(W * W). Default 1e-5. */
  reg?: number;
  /** Number of SGD steps. Default 100. */
  numIters?: number;
  /** Examples per step, drawn with replacement as the course's np.random.choice does. Default 200. */
  batchSize?: number;
  /** Print the loss every 100 iterations. Default false. */
  verbose?: boolean;
  /** Where verbose lines go. Default console.log. */
  log?: (line: string) => void;
  /** Randomness for W's initialisation and minibatch sampling. Default: new Rng(seed). */
  rng?: Rng;
  /** Seed for the default Rng. Default 0. */
  seed?: number;
  /** Called after every step with the step index (from 0) and that minibatch's loss. */
  onIteration?: (iteration: number, loss: number) => void;
}

export abstract class LinearClassifier {
  /** Weights [D, C]; null until the first train() call. Owned by the classifier: dispose() frees it. */
  W: tf.Variable<tf.Rank.R2> | null = null;

  /**
   * The loss and gradient on one minibatch.
   * W: [D, C]. XBatch: [B, D]. yBatch: [B] labels. reg: L2 strength.
   */
  protected abstract loss(W: tf.Tensor2D, XBatch: tf.Tensor2D, yBatch: Int32Array, reg: number): LossAndGradW;

  /**
   * Trains W by minibatch SGD: each step draws batchSize rows of X with replacement, computes the loss and dW,
   * and moves W by -learningRate * dW.
   *
   * X: [N, D] training rows (bias column already appended, if wanted). y: [N] labels in 0..C-1, C = max(y) + 1.
   * On the first call W is initialised to 0.001 * N(0, 1) of shape [D, C]; later calls continue from it.
   * Returns the loss of every step, in order.
   */
  train(X: tf.Tensor2D, y: Labels, options: LinearTrainOptions = {}): number[] {
    const { learningRate = 1e-3, reg = 1e-5, numIters = 100, batchSize = 200, verbose = false } = options;
    const log = options.log ?? console.log;
    const fn = `${this.constructor.name}.train`;
    checkRank(fn, 'X', X, 2, '[N, D]');
    const [numTrain, dim] = X.shape;
    const labels = checkLabels(fn, y, numTrain);
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`${fn}: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(numIters) || numIters < 0) throw new Error(`${fn}: numIters must be a non-negative integer, got ${numIters}`);
    const rng = options.rng ?? new Rng(options.seed ?? 0);
    const numClasses = numClassesOf(labels);

    if (this.W === null) {
      const init = rng.randn([dim, numClasses], 0.001) as tf.Tensor2D;
      this.W = tf.variable(init);
      init.dispose();
    } else if (this.W.shape[0] !== dim || this.W.shape[1] < numClasses) {
      throw new Error(`${fn}: X [${X.shape}] with ${numClasses} classes does not fit the existing W [${this.W.shape}]`);
    }
    const W = this.W;

    const history: number[] = [];
    const yBatch = new Int32Array(batchSize);
    for (let it = 0; it < numIters; it++) {
      const idx = rng.choice(numTrain, batchSize);
      for (let b = 0; b < batchSize; b++) yBatch[b] = labels[idx[b]];
      const loss = tf.tidy(() => {
        // Whole rows by gatherND (indices [B, 1]) rather than tf.gather: wasm's Gather kernel recomputes a
        // multi-index for every element and took ~30x longer (200 rows of 3073: 63 ms vs 2 ms; docs/performance.md).
        const XBatch = tf.gatherND(X, tf.tensor2d(idx, [batchSize, 1], 'int32')) as tf.Tensor2D; // [B, D]
        const { loss, dW } = this.loss(W, XBatch, yBatch, reg);
        W.assign(tf.sub(W, tf.mul(learningRate, dW)));
        return loss;
      });
      history.push(loss);
      options.onIteration?.(it, loss);
      if (verbose && it % 100 === 0) log(`iteration ${it} / ${numIters}: loss ${loss.toFixed(6)}`);
    }
    return history;
  }

  /**
   * Predicted class of every row: argmax over the scores X W.
   * X: [N, D]. Returns an Int32Array [N].
   */
  predict(X: tf.Tensor2D): Int32Array {
    const fn = `${this.constructor.name}.predict`;
    if (this.W === null) throw new Error(`${fn}: the classifier has no weights yet; call train() first`);
    checkRank(fn, 'X', X, 2, '[N, D]');
    const W = this.W;
    if (X.shape[1] !== W.shape[0]) throw new Error(`${fn}: X must be [N, ${W.shape[0]}] to match W [${W.shape}], got [${X.shape}]`);
    const pred = tf.tidy(() => tf.argMax(tf.matMul(X, W), 1));
    const out = Int32Array.from(pred.dataSync());
    pred.dispose();
    return out;
  }

  /** Frees W. */
  dispose(): void {
    this.W?.dispose();
    this.W = null;
  }
}

/** Linear classifier with the multiclass SVM loss (svmLossVectorized). */
export class LinearSVM extends LinearClassifier {
  protected override loss(W: tf.Tensor2D, XBatch: tf.Tensor2D, yBatch: Int32Array, reg: number): LossAndGradW {
    return svmLossVectorized(W, XBatch, yBatch, reg);
  }
}

/** Linear classifier with the softmax cross-entropy loss (softmaxLossVectorized). */
export class Softmax extends LinearClassifier {
  protected override loss(W: tf.Tensor2D, XBatch: tf.Tensor2D, yBatch: Int32Array, reg: number): LossAndGradW {
    return softmaxLossVectorized(W, XBatch, yBatch, reg);
  }
}
