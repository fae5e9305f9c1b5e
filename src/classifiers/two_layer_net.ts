/**
 * The course's TwoLayerNet (assignment 1): a fully-connected net with one hidden layer,
 *
 *   affine - relu - affine - softmax
 *
 * Input dimension D, hidden dimension H, C classes. Parameters W1 [D, H], b1 [H], W2 [H, C], b2 [C]; the weights
 * are drawn from N(0, weightScale^2) and the biases start at zero. This is where the course has the learner write
 * backpropagation by hand for the first time: loss() runs the forward pass layer by layer, takes the softmax loss,
 * and walks the same layers backwards (the derivation is in docs/fully-connected-nets.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossAndGrads, Model } from '../model';
import { Rng } from '../random';
import { param } from './param';
import { affineBackward, affineForward } from '../layers/affine';
import { affineReluBackward, affineReluForward } from '../layers/sandwich';
import { softmaxLoss } from '../layers/softmax_loss';
import { checkInput, checkedUpstream } from './check_input';
import { checkLabels } from '../layers/validate';

export interface TwoLayerNetOptions {
  /** D, the size of one flattened input. Default 3072 (a CIFAR-10 image). */
  inputDim?: number;
  /** H, the number of hidden units. Default 100. */
  hiddenDim?: number;
  /** C, the number of classes. Default 10. */
  numClasses?: number;
  /** Standard deviation of the initial weights. Default 1e-3. */
  weightScale?: number;
  /** L2 regularisation strength: loss += 0.5 * reg * (sum(W1^2) + sum(W2^2)). Default 0. */
  reg?: number;
  /** Seed of the initial weights. Default 0. */
  seed?: number;
}

export class TwoLayerNet implements Model {
  readonly kind: string = 'TwoLayerNet';
  readonly options: Required<TwoLayerNetOptions>;
  params: Record<string, tf.Variable> = {};

  constructor({ inputDim = 3072, hiddenDim = 100, numClasses = 10, weightScale = 1e-3, reg = 0, seed = 0 }: TwoLayerNetOptions = {}) {
    for (const [name, v] of Object.entries({ inputDim, hiddenDim, numClasses })) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`TwoLayerNet: ${name} must be a positive integer, got ${v}`);
    }
    this.options = { inputDim, hiddenDim, numClasses, weightScale, reg, seed };
    const rng = new Rng(seed);
    this.params.W1 = param(rng.randn([inputDim, hiddenDim], weightScale));
    this.params.b1 = param(tf.zeros([hiddenDim]));
    this.params.W2 = param(rng.randn([hiddenDim, numClasses], weightScale));
    this.params.b2 = param(tf.zeros([numClasses]));
  }

  /**
   * X: [N, D] rows, or [N, H, W, C] images that flatten to D. y: [N] int32 labels in 0..C-1.
   * Without y: returns the class scores [N, C]. With y: returns the loss (data loss plus L2 regularisation) and
   * the gradient of every parameter, same names and shapes as params.
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    checkInput('TwoLayerNet.loss', X, this.options.inputDim);
    if (y !== undefined) checkLabels('TwoLayerNet.loss', y, X.shape[0], this.options.numClasses);
    const W1 = this.params.W1 as tf.Tensor2D;
    const b1 = this.params.b1 as tf.Tensor1D;
    const W2 = this.params.W2 as tf.Tensor2D;
    const b2 = this.params.b2 as tf.Tensor1D;
    const reg = this.options.reg;
    return tf.tidy(() => {
      // Forward pass: the hidden layer h = relu(X W1 + b1) [N, H], then the scores h W2 + b2 [N, C].
      const hidden = affineReluForward(X, W1, b1);
      const out = affineForward(hidden.out, W2, b2);
      const scores = out.out;
      if (y === undefined) return scores;

      // Loss: softmax over the scores, plus L2 regularisation of both weight matrices.
      const { loss: dataLoss, dscores } = softmaxLoss(scores, y);
      const regLoss = tf.mul(0.5 * reg, tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))));
      const loss = tf.add(dataLoss, regLoss) as tf.Scalar;

      // Backward pass: the same layers in reverse, each one's dx the upstream gradient of the one before it.
      // The regularisation term adds reg * W to each weight's gradient.
      const g2 = affineBackward(dscores, out.cache);
      const g1 = affineReluBackward(g2.dx as tf.Tensor2D, hidden.cache);
      const grads = {
        W1: tf.add(g1.dw, tf.mul(reg, W1)),
        b1: g1.db,
        W2: tf.add(g2.dw, tf.mul(reg, W2)),
        b2: g2.db,
      };
      return { loss, grads };
    });
  }

  /**
   * The gradient of an objective of the class scores with respect to the input, by the same layers' backward
   * passes as loss(): what saliency maps ascend.
   *
   * X: [N, D] rows or [N, H, W, C] images that flatten to D. dscores: given the scores [N, C], returns
   * d(objective)/d(scores), the same shape. Returns scores [N, C] and dX in X's shape.
   */
  inputGradient<T extends tf.Tensor>(X: T, dscores: (scores: tf.Tensor2D) => tf.Tensor2D): { scores: tf.Tensor2D; dX: T } {
    checkInput('TwoLayerNet.inputGradient', X, this.options.inputDim);
    const p = this.params;
    return tf.tidy(() => {
      const hidden = affineReluForward(X, p.W1 as tf.Tensor2D, p.b1 as tf.Tensor1D);
      const out = affineForward(hidden.out, p.W2 as tf.Tensor2D, p.b2 as tf.Tensor1D);
      const upstream = checkedUpstream('TwoLayerNet.inputGradient', dscores, out.out);
      const dHidden = affineBackward(upstream, out.cache).dx as tf.Tensor2D;
      return { scores: out.out, dX: affineReluBackward(dHidden, hidden.cache).dx as T };
    });
  }

  /** Frees the parameters. */
  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}
