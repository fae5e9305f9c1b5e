/**
 * The messages between the page (main.ts: the DOM, the charts, the history) and its training worker (worker.ts:
 * the backend, the data tensors, the model, the Solver). Everything crossing is plain data, so the page never
 * touches a tensor and no setting can freeze it: the worker may be busy, the page still answers.
 */
import type { Babysit } from './babysit';
import type { BackendReport, PageBackend } from './backend';
import type { GradCheckMode, GradCheckResult } from './gradient_check';
import type { LayerRow } from './layer_view';
import type { Hyperparameters, ModelName } from './models';
import type { Saliency } from './saliency';
import type { AccuracyCheck, MemoryRecord } from './trainer';
import type { WeightTiles } from './weights_view';

/** The weights of a model as plain arrays, to carry a model from one worker (backend) to the next. */
export interface WeightsSnapshot {
  model: ModelName;
  hyper: Hyperparameters;
  iteration: number;
  examplesSeen: number;
  /** The loss of the model's first step (before the switch): the start the page and the runaway test refer to. */
  initialLoss: number | null;
  params: Record<string, { shape: number[]; values: Float32Array }>;
}

/** The kinds `npm run train` makes, which the page loads to explore and never trains (model_file.ts). */
export type ExploreKind = 'Airbench' | 'ResNet';

/**
 * A model trained by `npm run train`, read from its checkpoint and checked (model_file.ts): its constructor options,
 * its parameters and its state (batchnorm running statistics; Airbench's frozen whitening filters) as plain arrays.
 */
export interface ExploreSnapshot {
  kind: ExploreKind;
  options: Record<string, unknown>;
  params: Record<string, { shape: number[]; values: Float32Array }>;
  state: Record<string, { shape: number[]; values: Float32Array }>;
  /** One line on what it is: 'Airbench, widths 64/256/256, trained by npm run train (epoch 10)'. */
  description: string;
}

export type ToWorker =
  /**
   * control: when the page is cross-origin isolated, a shared Int32Array [1]: the page stores 1 to pause, and the
   * worker reads it before every step, so that Pause is answered after the step under way even while the worker's
   * message queue waits behind a training slice.
   */
  | { type: 'init'; backend: PageBackend; explicit: boolean; wasmBase: string; dataBase: string; maxTrain: number; maxVal: number; seed: number; evalEvery: number; stripSize: number; control: Int32Array | null; webgl: boolean }
  /** New weights (or `weights`' values) for `model`; refused, with the old model kept, when a guard says no. */
  /** seed: the new weights' draw (the session's seed plus the weights drawn before), so New weights differs. */
  | { type: 'build'; model: ModelName; hyper: Hyperparameters; seed: number; weights?: WeightsSnapshot }
  /** Replaces the model by one of `npm run train`'s, run in test mode (running statistics) and never trained. */
  | { type: 'explore'; model: ExploreSnapshot }
  | { type: 'live'; hyper: Hyperparameters }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'inspect'; position: number }
  | { type: 'gradcheck'; mode: GradCheckMode; plant: boolean }
  /** 32x32 RGB bytes, NHWC, of the learner's own image. */
  | { type: 'upload'; pixels: Uint8Array }
  /** The weights as plain arrays: to carry them to another backend's worker, or to save them to a file. */
  | { type: 'export'; purpose: 'switch' | 'save' };

export interface StripData {
  /** The strip's validation images: [n * 3072] bytes, their labels and their indices in the validation set. */
  images: Uint8Array;
  labels: number[];
  indices: number[];
}

export interface ProgressData {
  phase: 'ready' | 'running' | 'paused';
  iteration: number;
  examplesSeen: number;
  epoch: number;
  batchSize: number;
  /** [iteration, loss] of every step since the last progress message. */
  newLosses: [number, number][];
  newChecks: AccuracyCheck[];
  examplesPerSecond: number;
  numTensors: number;
  heldTensors: number;
  held: { data: number; params: number; solver: number };
  numBytes: number;
  memory: MemoryRecord[];
  initialLoss: number | null;
}

export interface SlowData {
  tiles: WeightTiles;
  /** [strip size * C] class probabilities. */
  stripProbs: Float32Array;
  paramSums: Record<string, number>;
  /** Rows: true class, columns: predicted class, on the fixed validation images of the latest check. */
  confusion: number[][] | null;
  confusionIteration: number | null;
  /** The babysitting numbers (babysit.ts): dead units, histograms, update/weight ratios. */
  babysit: Babysit | null;
}

export type FromWorker =
  | { type: 'ready'; backend: BackendReport; source: string; classNames: string[]; strip: StripData; gflops: number; numTrain: number }
  | { type: 'failed'; stage: 'backend' | 'data'; message: string }
  | { type: 'built'; model: ModelName; hyper: Hyperparameters; evalSizes: { train: number; val: number }; restored: boolean; progress: ProgressData; slow: SlowData }
  /** The explore-only model is built, its accuracy and confusion on the fixed subsets measured once. */
  | { type: 'explored'; evalSizes: { train: number; val: number }; progress: ProgressData; slow: SlowData }
  /** A build or live change refused by a guard; the worker keeps its model, and says its settings (hyper). */
  | { type: 'refused'; message: string; hyper: Hyperparameters | null }
  | { type: 'live-done'; hyper: Hyperparameters; progress: ProgressData; paramSums: Record<string, number> }
  | { type: 'progress'; progress: ProgressData }
  | { type: 'slow'; slow: SlowData }
  /** Training stopped by itself (a diverged loss); `message` says why, with the page's counters. */
  | { type: 'stopped'; message: string; progress: ProgressData; loss: number | null }
  | { type: 'inspected'; position: number; index: number; label: number; saliency: Saliency; layers: LayerRow[]; loss: number }
  | { type: 'gradcheck'; result: GradCheckResult | null; error?: string }
  | { type: 'uploaded'; probs: Float32Array; saliency: Saliency }
  | { type: 'exported'; purpose: 'switch' | 'save'; weights: WeightsSnapshot | null }
  | { type: 'error'; message: string };
