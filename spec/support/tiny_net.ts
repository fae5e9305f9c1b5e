/**
 * A tiny affine - relu - affine - softmax classifier for the Solver and checkpoint specs, built from the
 * hand-written layers in src/layers (no autodiff), with L2 regularisation on the weights. Small enough that a
 * Solver step on the cpu backend takes about a millisecond.
 */
import * as tf from '@tensorflow/tfjs-core';
import { affineBackward, affineForward } from '../../src/layers/affine';
import { reluBackward, reluForward } from '../../src/layers/relu';
import { softmaxLoss } from '../../src/layers/softmax_loss';
import type { LossAndGrads, Model } from '../../src/model';
import { Rng } from '../../src/random';

export interface TinyNetOptions {
  inputDim: number;
  hiddenDim: number;
  numClasses: number;
  reg: number;
  weightScale: number;
  seed: number;
}

export class TinyNet implements Model {
  readonly kind = 'TinyNet';
  readonly options: TinyNetOptions;
  params: Record<string, tf.Variable>;

  constructor(options: Partial<TinyNetOptions> = {}) {
    this.options = { inputDim: 5, hiddenDim: 16, numClasses: 3, reg: 1e-3, weightScale: 0.5, seed: 1, ...options };
    const { inputDim, hiddenDim, numClasses, weightScale, seed } = this.options;
    const rng = new Rng(seed);
    // tf.variable shares the initial tensor's data but leaves the tensor itself alive: free it.
    const variable = (t: tf.Tensor): tf.Variable => {
      const v = tf.variable(t);
      t.dispose();
      return v;
    };
    this.params = {
      W1: variable(rng.randn([inputDim, hiddenDim], weightScale)),
      b1: variable(tf.zeros([hiddenDim])),
      W2: variable(rng.randn([hiddenDim, numClasses], weightScale)),
      b2: variable(tf.zeros([numClasses])),
    };
  }

  loss(X: tf.Tensor, y: tf.Tensor1D): LossAndGrads;
  loss(X: tf.Tensor): tf.Tensor2D;
  loss(X: tf.Tensor, y?: tf.Tensor1D): LossAndGrads | tf.Tensor2D {
    const W1 = this.params.W1 as tf.Tensor as tf.Tensor2D;
    const b1 = this.params.b1 as tf.Tensor as tf.Tensor1D;
    const W2 = this.params.W2 as tf.Tensor as tf.Tensor2D;
    const b2 = this.params.b2 as tf.Tensor as tf.Tensor1D;
    const reg = this.options.reg;
    return tf.tidy(() => {
      const a1 = affineForward(X, W1, b1);
      const h = reluForward(a1.out);
      const a2 = affineForward(h.out, W2, b2);
      if (!y) return a2.out;
      const { loss: dataLoss, dscores } = softmaxLoss(a2.out, y);
      const loss = tf.add(dataLoss, tf.mul(0.5 * reg, tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))))) as tf.Scalar;
      const g2 = affineBackward(dscores, a2.cache);
      const dh = reluBackward(g2.dx, h.cache);
      const g1 = affineBackward(dh.dx as tf.Tensor2D, a1.cache);
      const grads = {
        W1: tf.add(g1.dw, tf.mul(reg, W1)),
        b1: g1.db,
        W2: tf.add(g2.dw, tf.mul(reg, W2)),
        b2: g2.db,
      };
      return { loss, grads };
    });
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
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
