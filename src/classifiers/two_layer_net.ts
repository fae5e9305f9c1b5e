/**
 * The course's TwoLayerNet: affine - relu - affine - softmax, with weights drawn from N(0, weightScale^2).
 * It is the one-hidden-layer case of FullyConnectedNet (same parameter names W1, b1, W2, b2), kept as its own
 * class so that assignment 1's script reads like the notebook.
 */
import { FullyConnectedNet } from './fc_net';

export interface TwoLayerNetOptions {
  inputDim?: number;
  hiddenDim?: number;
  numClasses?: number;
  weightScale?: number;
  reg?: number;
  seed?: number;
}

export class TwoLayerNet extends FullyConnectedNet {
  override readonly kind = 'TwoLayerNet';
  constructor({ inputDim = 3072, hiddenDim = 100, numClasses = 10, weightScale = 1e-3, reg = 0, seed = 0 }: TwoLayerNetOptions = {}) {
    super({ hiddenDims: [hiddenDim], inputDim, numClasses, weightScale, reg, seed });
  }
}
