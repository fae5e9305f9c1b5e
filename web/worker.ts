/**
 * The page's training worker: it owns the tfjs backend, the data tensors, the model and the Solver, trains in
 * slices of about SLICE_MS and reports after each (protocol.ts). The page (main.ts) owns the DOM and the charts;
 * since no tensor work runs on the page's thread, no setting can freeze the page, and Pause is answered after the
 * step under way.
 *
 * A model of `npm run train` (explore_model.ts) runs here too, explore only: its accuracy and confusion are measured
 * once when it is built, and it is never stepped, checked against autodiff or run in training mode (the
 * babysitting numbers and the layer view are not shown for it).
 *
 * Commands run one at a time, in the order they came (a queue), between training slices; Pause alone acts at
 * once (it only clears a flag the loop reads).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initPageBackend, type BackendReport } from './backend';
import { loadPageData, type PageData } from './data';
import { gradientCheck } from './gradient_check';
import { layerRows } from './layer_view';
import { babysit, BABYSIT_EXAMPLES, type Babysit } from './babysit';
import { buildExploreModel } from './explore_model';
import { architectureProblem, checkFitsInMemory, checkStepTime, MODELS, type Hyperparameters, type ModelName } from './models';
import { classProbabilities } from './predictions';
import type { ExploreSnapshot, FromWorker, ProgressData, SlowData, ToWorker, WeightsSnapshot } from './protocol';
import { saliencyMap } from './saliency';
import { RunawayLossError, Trainer } from './trainer';
import { firstLayerTiles, type WeightTiles } from './weights_view';

/** Training runs this long between reports (and between commands). */
const SLICE_MS = 100;
/** The slower panels' data (weights, strip, confusion) are sent at most this often, and at most a fifth of the time. */
const SLOW_MS = 700;
const SLOW_SHARE = 0.2;
/** Examples the gradient check takes from a minibatch (autodiff keeps every intermediate; the cpu backend is slow). */
const GRADCHECK_EXAMPLES = 8;
/** The babysitting numbers are measured at most this often. */
const BABYSIT_MS = 2000;

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker): void => scope.postMessage(m);

interface Settings {
  seed: number;
  evalEvery: number;
  stripSize: number;
}

const state = {
  settings: { seed: 0, evalEvery: 25, stripSize: 8 } as Settings,
  backend: null as BackendReport | null,
  data: null as PageData | null,
  trainer: null as Trainer | null,
  model: 'softmax' as ModelName,
  /** The explored model's first filters, while the trainer holds a model of `npm run train` (null: a page model). */
  explore: null as { tiles: WeightTiles } | null,
  running: false,
  /** The matrix-product speed measured at start, for the compute-time guard. */
  gflops: 1,
  stripIndices: [] as number[],
  /** Losses of the steps since the last progress report. */
  newLosses: [] as [number, number][],
  /** Accuracy checks already reported. */
  reportedChecks: 0,
  lastSlow: 0,
  slowMs: 0,
  /** The latest babysitting numbers (babysit.ts) and when they were measured. */
  babysit: null as Babysit | null,
  lastBabysit: 0,
  /** The page's pause flag (see protocol.ts), or null where the page is not cross-origin isolated. */
  control: null as Int32Array | null,
};

/** Whether the page asked for a pause through the shared flag. */
const pauseAsked = (): boolean => state.control !== null && Atomics.load(state.control, 0) === 1;

let queue: Promise<void> = Promise.resolve();

/** Runs `task` after every command before it; an error is reported to the page, not thrown. */
function enqueue(task: () => void | Promise<void>): Promise<void> {
  queue = queue.then(task).catch((e: unknown) => post({ type: 'error', message: (e as Error).message ?? String(e) }));
  return queue;
}

/** GFLOP/s of a 256x1024 by 1024x256 matrix product on this backend, the best of three after a warm-up. */
function measureGflops(): number {
  const a = tf.randomNormal([256, 1024], 0, 1, 'float32', 1);
  const b = tf.randomNormal([1024, 256], 0, 1, 'float32', 2);
  let best = Infinity;
  try {
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
      if (i > 0) best = Math.min(best, performance.now() - t0);
    }
  } finally {
    tf.dispose([a, b]);
  }
  return (2 * 256 * 1024 * 256) / (Math.max(best, 0.01) * 1e6);
}

function progress(): ProgressData {
  const t = state.trainer;
  const m = tf.memory();
  const held = t?.heldTensors() ?? { total: 4, data: 4, params: 0, solver: 0 };
  const checks = t?.checks ?? [];
  const out: ProgressData = {
    phase: state.running ? 'running' : t && t.iteration > 0 ? 'paused' : 'ready',
    iteration: t?.iteration ?? 0,
    examplesSeen: t?.examplesSeen ?? 0,
    epoch: t?.epoch ?? 0,
    batchSize: t?.solver.batchSize ?? 0,
    newLosses: state.newLosses,
    newChecks: checks.slice(state.reportedChecks),
    examplesPerSecond: t?.examplesPerSecond() ?? 0,
    numTensors: m.numTensors,
    heldTensors: held.total,
    held: { data: held.data, params: held.params, solver: held.solver },
    numBytes: m.numBytes,
    memory: [...(t?.memory ?? [])],
    initialLoss: t?.initialLoss ?? null,
  };
  state.newLosses = [];
  state.reportedChecks = checks.length;
  return out;
}

function paramSums(t: Trainer): Record<string, number> {
  return Object.fromEntries(Object.entries(t.model.params).map(([k, v]) => [k, tf.tidy(() => tf.sum(v).dataSync()[0])]));
}

function slow(t: Trainer, data: PageData): SlowData {
  const start = performance.now();
  const X = tf.gather(data.XVal, state.stripIndices) as tf.Tensor4D;
  let stripProbs: Float32Array;
  try {
    stripProbs = classProbabilities(t.model, X);
  } finally {
    X.dispose();
  }
  const last = t.checks[t.checks.length - 1];
  // The babysitting numbers cost a forward and backward pass on BABYSIT_EXAMPLES images: at most every
  // BABYSIT_MS, and never while a pause waits (Pause is answered between steps, and this runs between them too).
  // An explored model is never run in training mode: the babysitting pass would move its running statistics.
  if (state.explore === null && (state.babysit === null || (performance.now() - state.lastBabysit > BABYSIT_MS && !pauseAsked()))) {
    const n = Math.min(BABYSIT_EXAMPLES, data.XTrain.shape[0]);
    const Xb = tf.slice(data.XTrain, 0, n) as tf.Tensor4D;
    const yb = tf.slice(data.yTrain, 0, n) as tf.Tensor1D;
    try {
      state.babysit = babysit(t.model, Xb, yb, t.lastUpdateRatios, t.iteration);
    } finally {
      tf.dispose([Xb, yb]);
    }
    state.lastBabysit = performance.now();
    // The next step measures its update/weight ratios for the next report.
    t.measureNextStep = true;
  }
  const out: SlowData = {
    tiles: state.explore?.tiles ?? firstLayerTiles(t.model),
    stripProbs,
    paramSums: paramSums(t),
    confusion: last?.confusion ?? null,
    confusionIteration: last?.iteration ?? null,
    babysit: state.babysit,
  };
  state.lastSlow = performance.now();
  state.slowMs = state.lastSlow - start;
  return out;
}

function requireTrainer(): { t: Trainer; data: PageData } {
  if (!state.trainer || !state.data) throw new Error('the worker has no model yet: build one first');
  return { t: state.trainer, data: state.data };
}

/** Every guard a model must pass before it is built or changed; throws the first refusal. */
function checkGuards(name: ModelName, h: Hyperparameters): void {
  const problem = architectureProblem(name, h);
  if (problem) throw new Error(problem);
  checkFitsInMemory(name, h);
  checkStepTime(name, h, state.gflops);
}

async function init(m: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  state.settings = { seed: m.seed, evalEvery: m.evalEvery, stripSize: m.stripSize };
  state.control = m.control;
  try {
    state.backend = await initPageBackend(m.backend, m.wasmBase, m.explicit, m.webgl);
  } catch (e) {
    post({ type: 'failed', stage: 'backend', message: (e as Error).message });
    return;
  }
  try {
    state.data = await loadPageData(m.dataBase, m.maxTrain, m.maxVal);
  } catch (e) {
    post({ type: 'failed', stage: 'data', message: (e as Error).message });
    return;
  }
  state.gflops = measureGflops();
  const d = state.data;
  const n = Math.min(m.stripSize, d.val.n);
  state.stripIndices = Array.from({ length: n }, (_, i) => i);
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) images.set(d.val.images.subarray(i * 3072, (i + 1) * 3072), i * 3072);
  post({
    type: 'ready',
    backend: state.backend,
    source: d.source,
    classNames: d.classNames,
    strip: { images, labels: state.stripIndices.map((i) => d.val.labels[i]), indices: state.stripIndices },
    gflops: state.gflops,
    numTrain: d.XTrain.shape[0],
  });
}

function build(m: Extract<ToWorker, { type: 'build' }>): void {
  const data = state.data;
  if (!data) throw new Error('the worker has no data yet');
  try {
    checkGuards(m.model, m.hyper);
  } catch (e) {
    post({ type: 'refused', message: `Cannot build the ${MODELS[m.model].label}: ${(e as Error).message}`, hyper: state.trainer?.hyper ?? null });
    return;
  }
  state.running = false;
  state.trainer?.dispose();
  state.trainer = null;
  // Each build draws its own weights and minibatch order (the page counts builds from the session's seed).
  const seed = m.seed;
  const { evalEvery } = state.settings;
  const trainer = new Trainer((reg) => MODELS[m.model].build({ ...m.hyper, reg }, seed), data, m.hyper, seed, evalEvery);
  const w = m.weights;
  if (w) {
    for (const [k, p] of Object.entries(w.params)) {
      const target = trainer.model.params[k];
      if (!target || target.shape.join() !== p.shape.join()) {
        trainer.dispose();
        throw new Error(`the weights carried over do not fit: ${k} [${p.shape}] vs [${target?.shape ?? 'none'}]`);
      }
      const value = tf.tensor(p.values, p.shape);
      target.assign(value);
      value.dispose();
    }
    trainer.solver.iteration = w.iteration;
    trainer.examplesSeen = w.examplesSeen;
    trainer.initialLoss = w.initialLoss;
  }
  state.trainer = trainer;
  state.explore = null;
  state.model = m.model;
  state.babysit = null;
  state.newLosses = [];
  state.reportedChecks = 0;
  post({ type: 'built', model: m.model, hyper: trainer.hyper, evalSizes: trainer.evalSizes, restored: w !== undefined, progress: progress(), slow: slow(trainer, data) });
}

/**
 * Replaces the model by one of `npm run train`'s, then measures its accuracy and confusion on the fixed subsets once
 * (it never trains, so they never change). A model that does not build is refused; the old one is kept.
 */
function explore(snap: ExploreSnapshot): void {
  const data = state.data;
  if (!data) throw new Error('the worker has no data yet');
  let built: ReturnType<typeof buildExploreModel>;
  try {
    built = buildExploreModel(snap);
  } catch (e) {
    post({ type: 'refused', message: `Cannot explore the ${snap.kind}: ${(e as Error).message}`, hyper: state.trainer?.hyper ?? null });
    return;
  }
  state.running = false;
  state.trainer?.dispose();
  // The Trainer holds the evaluation subsets and runs the accuracy check; its Solver is never stepped.
  const trainer = new Trainer(() => built.model, data, MODELS.convnet.defaults, state.settings.seed, state.settings.evalEvery);
  trainer.startCheck();
  while (!trainer.checkChunk());
  state.trainer = trainer;
  state.explore = { tiles: built.tiles };
  state.babysit = null;
  state.newLosses = [];
  state.reportedChecks = 0;
  post({ type: 'explored', evalSizes: trainer.evalSizes, progress: progress(), slow: slow(trainer, data) });
}

function live(asked: Hyperparameters): void {
  const { t } = requireTrainer();
  if (state.explore) {
    post({ type: 'refused', message: 'An explored model takes no settings (it is not trained here)', hyper: null });
    return;
  }
  // The guards judge the model as it is, with the live fields asked for.
  const h: Hyperparameters = { ...t.hyper, learningRate: asked.learningRate, reg: asked.reg, updateRule: asked.updateRule, batchSize: asked.batchSize };
  try {
    checkGuards(state.model, h);
  } catch (e) {
    post({ type: 'refused', message: `Cannot change the ${MODELS[state.model].label}: ${(e as Error).message}`, hyper: t.hyper });
    return;
  }
  t.reconfigure(h);
  post({ type: 'live-done', hyper: t.hyper, progress: progress(), paramSums: paramSums(t) });
}

/** One slice of training: steps (or chunks of an accuracy check) for about SLICE_MS, then a report. */
function slice(): void {
  const t = state.trainer;
  const data = state.data;
  if (!state.running || !t || !data) return;
  const start = performance.now();
  try {
    do {
      if (pauseAsked()) {
        state.running = false;
        break;
      }
      // An accuracy check runs in chunks before the next step, so that every chunk sees the same weights.
      if (t.checking) t.checkChunk();
      else state.newLosses.push([t.iteration + 1, t.step()]);
    } while (state.running && performance.now() - start < SLICE_MS);
  } catch (e) {
    state.running = false;
    if (e instanceof RunawayLossError) {
      // The loss that stopped training is the curve's last point (a NaN cannot be drawn: the message names it).
      if (Number.isFinite(e.loss)) state.newLosses.push([t.iteration, e.loss]);
      post({ type: 'stopped', message: `Training stopped: ${e.message}`, progress: progress(), loss: e.loss });
      return;
    }
    throw e;
  }
  post({ type: 'progress', progress: progress() });
  if (performance.now() - state.lastSlow > Math.max(SLOW_MS, state.slowMs / SLOW_SHARE)) post({ type: 'slow', slow: slow(t, data) });
}

async function loop(): Promise<void> {
  while (state.running) {
    await enqueue(slice);
    // A task boundary: the page's messages (Pause among them) are delivered here.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const t = state.trainer;
  const data = state.data;
  if (t && data) {
    await enqueue(() => {
      // A build or explore queued behind the pause has replaced (and freed) this trainer: it reports for itself.
      if (state.trainer !== t) return;
      post({ type: 'progress', progress: progress() });
      post({ type: 'slow', slow: slow(t, data) });
    });
  }
}

function inspect(position: number): void {
  const { t, data } = requireTrainer();
  const index = state.stripIndices[position];
  if (index === undefined) throw new Error(`no strip image at position ${position}`);
  const label = data.val.labels[index];
  const x = tf.slice(data.XVal, [index, 0, 0, 0], [1, 32, 32, 3]) as tf.Tensor4D;
  try {
    const saliency = saliencyMap(t.model, x, label);
    if (state.explore) {
      // The layer view knows the page's models only; the loss is the cross-entropy of the test-mode probabilities.
      post({ type: 'inspected', position, index, label, saliency, layers: [], loss: -Math.log(Math.max(saliency.probs[label], 1e-30)) });
      return;
    }
    const { rows, loss } = layerRows(t.model, x, label);
    post({ type: 'inspected', position, index, label, saliency, layers: rows, loss });
  } finally {
    x.dispose();
  }
}

async function gradcheck(m: Extract<ToWorker, { type: 'gradcheck' }>): Promise<void> {
  const { t, data } = requireTrainer();
  if (state.explore) {
    post({ type: 'gradcheck', result: null, error: 'the explored model is not trained here, so its gradients are not checked' });
    return;
  }
  const n = Math.min(GRADCHECK_EXAMPLES, t.solver.batchSize, data.XTrain.shape[0]);
  const offset = (t.iteration * n) % Math.max(1, data.XTrain.shape[0] - n + 1);
  const X = tf.slice(data.XTrain, offset, n) as tf.Tensor4D;
  const y = tf.slice(data.yTrain, offset, n) as tf.Tensor1D;
  try {
    const hyper = t.hyper;
    const name = state.model;
    const result = await gradientCheck(t.model, () => MODELS[name].build(hyper, state.settings.seed), X, y, hyper.reg, { mode: m.mode, plant: m.plant });
    post({ type: 'gradcheck', result });
  } catch (e) {
    post({ type: 'gradcheck', result: null, error: (e as Error).message });
  } finally {
    tf.dispose([X, y]);
  }
}

/** The learner's own image: 32x32 RGB bytes, preprocessed as the training data (mean image subtracted). */
function upload(pixels: Uint8Array): void {
  const { t, data } = requireTrainer();
  if (pixels.length !== 3072) throw new Error(`the uploaded image must be 32x32x3 = 3072 bytes, got ${pixels.length}`);
  const values = new Float32Array(3072);
  for (let i = 0; i < 3072; i++) values[i] = pixels[i] - data.mean[i];
  const x = tf.tensor4d(values, [1, 32, 32, 3]);
  try {
    const probs = classProbabilities(t.model, x);
    let best = 0;
    for (let j = 1; j < probs.length; j++) if (probs[j] > probs[best]) best = j;
    post({ type: 'uploaded', probs, saliency: saliencyMap(t.model, x, best) });
  } finally {
    x.dispose();
  }
}

function exportWeights(purpose: 'switch' | 'save'): void {
  const t = state.trainer;
  if (!t || state.explore) {
    post({ type: 'exported', purpose, weights: null });
    return;
  }
  const weights: WeightsSnapshot = {
    model: state.model,
    hyper: t.hyper,
    iteration: t.iteration,
    examplesSeen: t.examplesSeen,
    initialLoss: t.initialLoss,
    params: Object.fromEntries(Object.entries(t.model.params).map(([k, v]) => [k, { shape: v.shape, values: v.dataSync() as Float32Array }])),
  };
  post({ type: 'exported', purpose, weights });
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'pause':
      state.running = false;
      return;
    case 'start':
      void enqueue(() => {
        if (state.control) Atomics.store(state.control, 0, 0);
        if (state.running || !state.trainer || state.explore) return;
        state.trainer.resetClock();
        state.running = true;
        void loop();
      });
      return;
    case 'init':
      void enqueue(() => init(m));
      return;
    case 'build':
      void enqueue(() => build(m));
      return;
    case 'explore':
      void enqueue(() => explore(m.model));
      return;
    case 'live':
      void enqueue(() => live(m.hyper));
      return;
    case 'inspect':
      void enqueue(() => inspect(m.position));
      return;
    case 'gradcheck':
      void enqueue(() => gradcheck(m));
      return;
    case 'upload':
      void enqueue(() => upload(m.pixels));
      return;
    case 'export':
      void enqueue(() => exportWeights(m.purpose));
      return;
  }
};
