/**
 * The benchmark's autodiff comparison (`npm run bench -- --compare-autodiff`): a model that keeps a hand-written
 * model's parameters and forward pass for test mode, but takes its training gradients from tf.valueAndGrads of
 * the model's autodiff twin in reference/models.ts. Given to the same Solver with the same update rule, it
 * trains the same network; only the backward pass differs, which is what the comparison times.
 *
 * Autodiff stays out of src/ (the project's rule); the twins live in reference/, this wrapper here.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions: without this import tf.valueAndGrads finds none.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { fcNetLossRef, threeLayerConvNetLossRef } from '../reference/models';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import { TwoLayerNet } from '../src/classifiers/two_layer_net';
import { ThreeLayerConvNet } from '../src/classifiers/cnn';
import { LossAndGrads, Model } from '../src/model';

/** A model's regularised training loss as plain differentiable ops: params by name, X [N, ...], y [N] int32. */
type LossTwin = (params: Record<string, tf.Tensor>, X: tf.Tensor, y: tf.Tensor) => tf.Scalar;

export class AutodiffModel implements Model {
  readonly params: Record<string, tf.Variable>;

  /** hand: the model whose parameters (shared, not copied) are trained; twin: its loss, differentiated by tfjs. */
  constructor(
    private readonly hand: Model,
    private readonly twin: LossTwin,
  ) {
    this.params = hand.params;
  }

  /**
   * X: a minibatch in the hand model's layout. y: [N] int32 labels.
   * With y: the twin's loss and tf.valueAndGrads' gradient for every parameter. Without: the hand model's scores.
   */
  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    if (y === undefined) return this.hand.loss(X);
    const names = Object.keys(this.params);
    const lossOf = (...values: tf.Tensor[]) => this.twin(Object.fromEntries(names.map((n, i) => [n, values[i]])), X, y);
    const { value, grads } = tf.valueAndGrads(lossOf)(names.map((n) => this.params[n]));
    return { loss: value as tf.Scalar, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]])) };
  }

  /** Frees the hand model's parameters and state. */
  dispose(): void {
    this.hand.dispose?.();
  }
}

/**
 * FullyConnectedNet trained through fcNetLossRef. Dropout is not supported (the twin would need the masks).
 * With batchnorm, the twin normalises with batch statistics as the hand model does in training, but keeps no
 * running averages (the hand model updates them each step: a few [D] ops per layer).
 */
export function autodiffFcNet(hand: FullyConnectedNet | TwoLayerNet): AutodiffModel {
  if (hand instanceof TwoLayerNet) {
    const reg = hand.options.reg;
    return new AutodiffModel(hand, (params, X, y) => fcNetLossRef(params, X, y, { numLayers: 2, normalization: 'none', reg }));
  }
  const o = hand.options;
  if (o.dropoutKeepRatio < 1) throw new Error(`autodiffFcNet: dropout is not supported, got dropoutKeepRatio ${o.dropoutKeepRatio}`);
  return new AutodiffModel(hand, (params, X, y) =>
    fcNetLossRef(params, X, y, { numLayers: hand.numLayers, normalization: o.normalization, reg: o.reg }),
  );
}

/** ThreeLayerConvNet trained through threeLayerConvNetLossRef (needs Conv2DBackpropFilter: not on wasm). */
export function autodiffConvNet(hand: ThreeLayerConvNet): AutodiffModel {
  const { reg, batchnorm } = hand.options;
  return new AutodiffModel(hand, (params, X, y) => threeLayerConvNetLossRef(params, X as tf.Tensor4D, y, { reg, batchnorm }));
}
