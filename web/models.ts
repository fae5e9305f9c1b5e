/**
 * The three models the page offers, built from the library, with starting hyperparameters under which each shows
 * its lesson within a minute on the 5,000-image subset (wasm, two cores): the softmax's ten templates take the
 * shape of their class, the two-layer net overfits (training accuracy runs away from validation accuracy), the
 * convnet's first filters turn into edge and colour detectors.
 *
 * Every model starts from small random weights, so that all ten classes get about the same score and the first
 * loss is near ln 10 = 2.30, the course's sanity check.
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
  /**
   * The starting learning rate of each update rule, each one that trains this model from fresh weights. They differ
   * by rule because the rules' first steps differ in size: rmsprop's squared-gradient cache starts at zero, so its
   * first step moves each weight by about lr / sqrt(1 - decayRate) = 10 lr; adam's bias correction makes its first
   * step about lr per weight; sgd's step is lr times the gradient, whose scale depends on the model.
   */
  rates: Record<UpdateRuleName, number>;
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
    rates: { sgd: 1e-6, sgd_momentum: 5e-7, rmsprop: 1e-6, adam: 1e-5 },
    // The course's softmax settings (lr 5e-7, reg 2.5e4 on reg * sum W^2) with momentum; weights from N(0, 1e-5^2):
    // at the course's 1e-3 the scores start around +-3 and the first loss near 9, far from ln 10.
    defaults: { learningRate: 5e-7, batchSize: 200, reg: 2.5e4, updateRule: 'sgd_momentum', ...ARCH },
    build: (h, seed) => new SoftmaxModel({ reg: h.reg, weightScale: 1e-5, seed }),
  },
  two_layer_net: {
    label: 'Two-layer net',
    describe: (h) => `affine (3072 -> ${h.hiddenDim}) - relu - affine (${h.hiddenDim} -> 10) - softmax; first-layer weights shown as 32x32 images.`,
    uses: ['hiddenDim'],
    rates: { sgd: 1e-3, sgd_momentum: 1e-3, rmsprop: 1e-5, adam: 1e-4 },
    // No regularisation and a small training subset: within a minute the training accuracy leaves the validation
    // accuracy behind, which the page names as overfitting; raising reg live narrows the gap.
    defaults: { learningRate: 1e-4, batchSize: 100, reg: 0, updateRule: 'adam', ...ARCH },
    build: (h, seed) => new TwoLayerNet({ hiddenDim: h.hiddenDim, weightScale: 1e-3, reg: h.reg, seed }),
  },
  convnet: {
    label: 'Three-layer convnet',
    describe: (h) =>
      `conv ${h.filterSize}x${h.filterSize}x3x${h.numFilters} - relu - 2x2 max pool - affine (${16 * 16 * h.numFilters} -> ${h.hiddenDim}) - ` +
      `relu - affine (${h.hiddenDim} -> 10) - softmax.`,
    uses: ['numFilters', 'filterSize', 'hiddenDim'],
    rates: { sgd: 1e-2, sgd_momentum: 1e-2, rmsprop: 1e-5, adam: 1e-4 },
    // Adam at the course's 1e-3 kills the hidden ReLUs on the page's 5,000 images: adam moves every weight by about
    // lr per step whatever its gradient, as far as the weights' own size at weight scale 1e-3, and on raw pixels
    // (+-128) one step moves the hidden layer's inputs far past their spread. 94% of the hidden units never fired
    // after 80 steps and validation stalled at 0.2; at 1e-4, 39% die in the first steps and the rest learn
    // (validation 0.42 after 5 minutes on wasm in Chromium; web/README.md has the measurements). Batch 25 rather than the course's 50: a step
    // cannot be interrupted, and half the batch halves the longest wait for a click while the convnet trains.
    defaults: { learningRate: 1e-4, batchSize: 25, reg: 1e-3, updateRule: 'adam', ...ARCH },
    build: (h, seed) =>
      new ThreeLayerConvNet({ numFilters: h.numFilters, filterSize: h.filterSize, hiddenDim: h.hiddenDim, weightScale: 1e-3, reg: h.reg, seed }),
  },
};

/** The first loss to expect from small random weights: every class equally likely, -ln(1 / C). */
export const EXPECTED_INITIAL_LOSS = Math.log(10);

/** The most memory a model may need before the page refuses to build it (the wasm heap tops out at 4 GiB). */
export const MEMORY_LIMIT_BYTES = 1024 * 2 ** 20;

/**
 * About how many bytes training the model needs: every parameter four times over (the weights, their gradient
 * and the update rule's one or two state tensors), plus each minibatch's activations kept for the backward pass
 * and their gradients (float32, 4 bytes each).
 */
export function estimateTrainingBytes(name: ModelName, h: Hyperparameters): { bytes: number; params: number; activations: number } {
  const D = 3072;
  const C = 10;
  let params: number;
  let perExample: number;
  if (name === 'softmax') {
    params = (D + 1) * C;
    perExample = 2 * C;
  } else if (name === 'two_layer_net') {
    params = D * h.hiddenDim + h.hiddenDim + h.hiddenDim * C + C;
    perExample = 3 * h.hiddenDim + 2 * C;
  } else {
    const F = h.numFilters;
    const pooled = 16 * 16 * F;
    params = h.filterSize * h.filterSize * 3 * F + F + pooled * h.hiddenDim + h.hiddenDim + h.hiddenDim * C + C;
    perExample = 3 * 32 * 32 * F + 2 * pooled + 3 * h.hiddenDim + 2 * C;
  }
  const activations = 2 * perExample * h.batchSize;
  return { bytes: 4 * (4 * params + activations), params, activations };
}

function formatBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

/** Throws, before anything is allocated, when the model would not fit in MEMORY_LIMIT_BYTES; says the estimate. */
export function checkFitsInMemory(name: ModelName, h: Hyperparameters): void {
  const e = estimateTrainingBytes(name, h);
  if (e.bytes > MEMORY_LIMIT_BYTES) {
    throw new Error(
      `it would need about ${formatBytes(e.bytes)} (${(e.params / 1e6).toFixed(1)} million parameters, four copies each, plus ` +
        `${(e.activations / 1e6).toFixed(1)} million activations per step), more than the ${formatBytes(MEMORY_LIMIT_BYTES)} this page allows ` +
        'itself; make it smaller (fewer hidden units or filters, a smaller batch)',
    );
  }
}

export function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}

/** The largest filter the convnet takes: odd, and no larger than the 32x32 image it slides over. */
export const MAX_FILTER_SIZE = 31;

/**
 * The architecture fields checked against the image: a filter larger than the image would look at padding only.
 * Returns the problem in one line, or null.
 */
export function architectureProblem(name: ModelName, h: Hyperparameters): string | null {
  if (!MODELS[name].uses.includes('filterSize')) return null;
  if (h.filterSize > MAX_FILTER_SIZE) {
    return `filter size ${h.filterSize} is larger than the 32x32 image; pick an odd size from 1 to ${MAX_FILTER_SIZE} (the course uses 7)`;
  }
  return null;
}

/** A step whose estimated time is above this is refused: the page would crawl and the learner would learn nothing. */
export const STEP_TIME_LIMIT_S = 1;

/**
 * About how many floating-point operations one training step takes: the forward pass's multiply-adds (2 flops
 * each) of every affine and convolution layer, three times over (forward, and the backward pass's two products per
 * layer, dx and dW), plus about 20 flops per parameter for the update rule and the regularisation.
 */
export function estimateStepFlops(name: ModelName, h: Hyperparameters): number {
  const D = 3072;
  const C = 10;
  const N = h.batchSize;
  let forward: number;
  let params: number;
  if (name === 'softmax') {
    forward = 2 * N * (D + 1) * C;
    params = (D + 1) * C;
  } else if (name === 'two_layer_net') {
    forward = 2 * N * (D * h.hiddenDim + h.hiddenDim * C);
    params = D * h.hiddenDim + h.hiddenDim * C;
  } else {
    const F = h.numFilters;
    const conv = 2 * N * 32 * 32 * F * h.filterSize * h.filterSize * 3;
    forward = conv + 2 * N * (16 * 16 * F * h.hiddenDim + h.hiddenDim * C);
    params = h.filterSize * h.filterSize * 3 * F + 16 * 16 * F * h.hiddenDim + h.hiddenDim * C;
  }
  return 3 * forward + 20 * params;
}

/**
 * Throws, before anything is allocated, when a step would take more than STEP_TIME_LIMIT_S at `gflops`, the speed
 * this backend measured on a matrix product when the page started; says the estimate.
 */
export function checkStepTime(name: ModelName, h: Hyperparameters, gflops: number): void {
  const flops = estimateStepFlops(name, h);
  const seconds = flops / (gflops * 1e9);
  if (seconds > STEP_TIME_LIMIT_S) {
    throw new Error(
      `one training step would take about ${seconds.toFixed(1)} s (${(flops / 1e9).toFixed(1)} GFLOP at the ${gflops.toFixed(1)} GFLOP/s this ` +
        `backend measured), more than the ${STEP_TIME_LIMIT_S} s this page allows a step; make it smaller (fewer hidden units or filters, ` +
        'a smaller batch)',
    );
  }
}
