/**
 * A tiny affine - relu - affine - softmax classifier for the Solver and checkpoint specs: the course's TwoLayerNet
 * (hand-written layers, no autodiff, L2 on the weights), small enough that a Solver step on the cpu backend takes
 * about a millisecond.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TwoLayerNet, TwoLayerNetOptions } from '../../src/classifiers/two_layer_net';
import { Rng } from '../../src/random';

/** TwoLayerNet with small defaults and a kind of its own (checkpoints record it). */
export class TinyNet extends TwoLayerNet {
  override readonly kind: string = 'TinyNet';

  constructor(options: TwoLayerNetOptions = {}) {
    super({ inputDim: 5, hiddenDim: 16, numClasses: 3, reg: 1e-3, weightScale: 0.5, seed: 1, ...options });
  }
}

/**
 * n examples of dimension d (d >= c) in c classes: unit Gaussian blobs around 4 * e_k for class k, far enough
 * apart (distance 5.7) that a small net fits every example.
 */
export function tinyData(n: number, d: number, c: number, seed: number): { X: tf.Tensor2D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % c;
    for (let j = 0; j < d; j++) x[i * d + j] = (j === y[i] ? 4 : 0) + rng.normal();
  }
  return { X: tf.tensor2d(x, [n, d]), y: tf.tensor1d(y, 'int32') };
}
