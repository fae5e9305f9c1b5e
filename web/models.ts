/**
 * The three models the page offers, built from the library, with starting hyperparameters under which each
 * learns visibly within a minute or two on the 5,000-image subset (wasm; measured: softmax 0.29 validation
 * accuracy after 236 iterations, two-layer net 0.35 after 160, convnet's loss 2.29 -> 1.82 in 69).
 */
import type { Model } from '../src/model';
import type { InputGradientModel } from '../src/vis/saliency';
import type { UpdateRuleName } from '../src/optim';
import { TwoLayerNet } from '../src/classifiers/two_layer_net';
import { ThreeLayerConvNet } from '../src/classifiers/cnn';
import { SoftmaxModel } from './softmax_model';

export type ModelName = 'softmax' | 'two_layer_net' | 'convnet';
export const MODEL_NAMES: readonly ModelName[] = ['softmax', 'two_layer_net', 'convnet'];

/** A model the page can train (the Solver's contract) and explain (saliency needs the input gradient). */
export type PageModel = Model & InputGradientModel & { dispose(): void };

export interface Hyperparameters {
  learningRate: number;
  batchSize: number;
  /** L2 strength; see each model for its convention (softmax: reg * sum W^2, nets: 0.5 * reg * sum W^2). */
  reg: number;
  updateRule: UpdateRuleName;
  /** Hidden units of the nets' hidden affine layer. */
  hiddenDim: number;
  /** The convnet's number of filters F and their size HH = WW (odd, so that the convolution keeps 32x32). */
  numFilters: number;
  filterSize: number;
}

/** The architecture fields, which only some models use. */
export type ArchitectureField = 'hiddenDim' | 'numFilters' | 'filterSize';

export interface ModelEntry {
  label: string;
  /** One line on what it is, shown under the controls. */
  describe(h: Hyperparameters): string;
  /** Which architecture fields apply (the page hides the others). */
  uses: readonly ArchitectureField[];
  defaults: Hyperparameters;
  build(h: Hyperparameters, seed: number): PageModel;
}

/** Architecture defaults every model carries, so that switching models keeps the controls filled. */
const ARCH = { hiddenDim: 100, numFilters: 32, filterSize: 7 };

export const MODELS: Record<ModelName, ModelEntry> = {
  softmax: {
    label: 'Softmax (linear)',
    describe: () => 'scores = [x, 1] W, W [3073, 10]; its weights are one 32x32 template per class.',
    uses: [],
    defaults: { learningRate: 1e-7, batchSize: 200, reg: 100, updateRule: 'sgd_momentum', ...ARCH },
    build: (h, seed) => new SoftmaxModel({ reg: h.reg, seed }),
  },
  two_layer_net: {
    label: 'Two-layer net',
    describe: (h) => `affine (3072 -> ${h.hiddenDim}) - relu - affine (${h.hiddenDim} -> 10) - softmax; first-layer weights shown as 32x32 images.`,
    uses: ['hiddenDim'],
    defaults: { learningRate: 1e-4, batchSize: 100, reg: 0.1, updateRule: 'adam', ...ARCH },
    build: (h, seed) => new TwoLayerNet({ hiddenDim: h.hiddenDim, weightScale: 1e-3, reg: h.reg, seed }),
  },
  convnet: {
    label: 'Three-layer convnet',
    describe: (h) =>
      `conv ${h.filterSize}x${h.filterSize}x3x${h.numFilters} - relu - 2x2 max pool - affine (${16 * 16 * h.numFilters} -> ${h.hiddenDim}) - ` +
      `relu - affine (${h.hiddenDim} -> 10) - softmax.`,
    uses: ['numFilters', 'filterSize', 'hiddenDim'],
    defaults: { learningRate: 1e-3, batchSize: 50, reg: 1e-3, updateRule: 'adam', ...ARCH },
    build: (h, seed) =>
      new ThreeLayerConvNet({ numFilters: h.numFilters, filterSize: h.filterSize, hiddenDim: h.hiddenDim, weightScale: 1e-3, reg: h.reg, seed }),
  },
};

export function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}
