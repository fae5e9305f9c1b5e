/**
 * The playground page: the library's models trained live by the library's Solver, with the loss, accuracies,
 * first-layer weights, predictions and saliency redrawn between steps.
 *
 * URL parameters: ?backend=webgl|wasm|cpu (default webgl), ?model=softmax|two_layer_net|convnet, ?seed=<n>,
 * ?train=<n>&val=<n> (subset sizes, default 5000 and 500).
 *
 * For tests and the curious, `window.__playground.status()` returns what the page shows as plain data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UPDATE_RULE_NAMES, type UpdateRuleName } from '../src/optim';
import { describeBackend, initPageBackend, isPageBackend, type BackendReport, type PageBackend } from './backend';
import { drawLineChart, runningMean } from './charts';
import { loadPageData, type PageData } from './data';
import { isModelName, MODEL_NAMES, MODELS, type Hyperparameters, type ModelName } from './models';
import { classProbabilities, drawCifarImage, PredictionStrip } from './predictions';
import { drawSaliency, saliencyMap } from './saliency';
import { Trainer, type MemoryRecord } from './trainer';
import { drawTiles, firstLayerTiles } from './weights_view';

/** Validation images in the strip. */
const STRIP_SIZE = 8;
/** Training runs in slices of about this many milliseconds, then the page redraws. */
const SLICE_MS = 100;
/**
 * The slower panels (weights, predictions, saliency) redraw at most this often, and at most a fifth of the time:
 * a convnet's forward pass for the strip can take a second where WebGL runs in software.
 */
const SLOW_REDRAW_MS = 700;
const SLOW_REDRAW_SHARE = 0.2;

type Phase = 'loading' | 'ready' | 'running' | 'paused' | 'error';

/** What `window.__playground.status()` returns. */
export interface PlaygroundStatus {
  phase: Phase;
  backend: BackendReport | null;
  model: ModelName;
  hyper: Hyperparameters;
  iteration: number;
  epoch: number;
  losses: number[];
  trainAcc: number[];
  valAcc: number[];
  examplesPerSecond: number;
  numTensors: number;
  heldTensors: number;
  memory: MemoryRecord[];
  /** Times the slower panels were redrawn (weights and predictions). */
  slowRedraws: number;
  saliencyShown: boolean;
  error: string | null;
  dataSource: string | null;
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`playground: the page has no element #${id}`);
  return e as T;
}

const ui = {
  notice: byId<HTMLDivElement>('notice'),
  error: byId<HTMLDivElement>('error'),
  model: byId<HTMLSelectElement>('model'),
  learningRate: byId<HTMLInputElement>('learning-rate'),
  batchSize: byId<HTMLInputElement>('batch-size'),
  reg: byId<HTMLInputElement>('reg'),
  updateRule: byId<HTMLSelectElement>('update-rule'),
  hiddenDim: byId<HTMLInputElement>('hidden-dim'),
  numFilters: byId<HTMLInputElement>('num-filters'),
  filterSize: byId<HTMLInputElement>('filter-size'),
  backendChoice: byId<HTMLSelectElement>('backend-choice'),
  start: byId<HTMLButtonElement>('start'),
  pause: byId<HTMLButtonElement>('pause'),
  reset: byId<HTMLButtonElement>('reset'),
  description: byId<HTMLParagraphElement>('model-description'),
  backend: byId<HTMLSpanElement>('backend'),
  dataSource: byId<HTMLSpanElement>('data-source'),
  progress: byId<HTMLSpanElement>('progress'),
  rate: byId<HTMLSpanElement>('rate'),
  memory: byId<HTMLSpanElement>('memory'),
  lossChart: byId<HTMLCanvasElement>('loss-chart'),
  accuracyChart: byId<HTMLCanvasElement>('accuracy-chart'),
  weights: byId<HTMLCanvasElement>('weights'),
  weightsCaption: byId<HTMLElement>('weights-caption'),
  strip: byId<HTMLDivElement>('strip'),
  saliencyImage: byId<HTMLCanvasElement>('saliency-image'),
  saliencyMap: byId<HTMLCanvasElement>('saliency-map'),
  saliencyCaption: byId<HTMLElement>('saliency-caption'),
};

const params = new URLSearchParams(location.search);
const seed = Number(params.get('seed') ?? 0);

const state = {
  phase: 'loading' as Phase,
  backend: null as BackendReport | null,
  data: null as PageData | null,
  trainer: null as Trainer | null,
  strip: null as PredictionStrip | null,
  selected: null as number | null,
  /** Bumped by every start: a loop whose number is stale stops, so that pause-then-start never runs two loops. */
  loopId: 0,
  lastSlowRedraw: 0,
  lastSlowRedrawMs: 0,
  slowRedraws: 0,
  error: null as string | null,
};

/** Shows an error on the page (and in the console) and stops training. */
function showError(message: string): void {
  state.error = message;
  ui.error.textContent = message;
  ui.error.hidden = false;
  console.error(message);
  setPhase('error');
}

function clearError(): void {
  state.error = null;
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function setPhase(phase: Phase): void {
  state.phase = phase;
  const haveTrainer = state.trainer !== null;
  ui.start.disabled = !haveTrainer || phase === 'running' || phase === 'loading';
  ui.pause.disabled = phase !== 'running';
  ui.reset.disabled = !haveTrainer || phase === 'loading';
}

function parseNumberInput(input: HTMLInputElement, name: string, check: (v: number) => boolean, expected: string): number {
  const v = Number(input.value.trim());
  if (input.value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new Error(`${name} must be ${expected}, got '${input.value}'`);
  return v;
}

const positiveInteger = (v: number) => Number.isInteger(v) && v > 0;

/** The hyperparameters in the controls; throws naming the field that does not parse. */
function readHyper(): Hyperparameters {
  return {
    learningRate: parseNumberInput(ui.learningRate, 'learning rate', (v) => v > 0, 'a positive number (e.g. 1e-3)'),
    batchSize: parseNumberInput(ui.batchSize, 'batch size', positiveInteger, 'a positive integer'),
    reg: parseNumberInput(ui.reg, 'regularisation', (v) => v >= 0, 'a number >= 0'),
    updateRule: ui.updateRule.value as UpdateRuleName,
    hiddenDim: parseNumberInput(ui.hiddenDim, 'hidden units', positiveInteger, 'a positive integer'),
    numFilters: parseNumberInput(ui.numFilters, 'filters', positiveInteger, 'a positive integer'),
    filterSize: parseNumberInput(ui.filterSize, 'filter size', (v) => positiveInteger(v) && v % 2 === 1, 'an odd positive integer (3, 5, 7)'),
  };
}

function writeHyper(h: Hyperparameters): void {
  ui.learningRate.value = String(h.learningRate);
  ui.batchSize.value = String(h.batchSize);
  ui.reg.value = String(h.reg);
  ui.updateRule.value = h.updateRule;
  ui.hiddenDim.value = String(h.hiddenDim);
  ui.numFilters.value = String(h.numFilters);
  ui.filterSize.value = String(h.filterSize);
}

/** Shows only the architecture fields the current model uses. */
function showArchitectureFields(): void {
  const uses: readonly string[] = MODELS[currentModel()].uses;
  for (const [field, id] of [['hiddenDim', 'hidden-dim'], ['numFilters', 'num-filters'], ['filterSize', 'filter-size']]) {
    byId(`${id}-field`).hidden = !uses.includes(field);
  }
}

function currentModel(): ModelName {
  return ui.model.value as ModelName;
}

/** Fresh weights and a fresh Solver from the controls; the old ones are freed. */
function rebuild(): void {
  const data = state.data;
  if (!data) return;
  state.trainer?.dispose();
  state.trainer = null;
  clearError();
  const name = currentModel();
  showArchitectureFields();
  try {
    const hyper = readHyper();
    ui.description.textContent = MODELS[name].describe(hyper);
    const batchSize = Math.min(hyper.batchSize, data.XTrain.shape[0]);
    state.trainer = new Trainer(MODELS[name].build(hyper, seed), data, { ...hyper, batchSize }, seed);
  } catch (e) {
    showError(`Cannot build the ${MODELS[name].label}: ${(e as Error).message}`);
    return;
  }
  setPhase('ready');
  redrawFast();
  redrawSlow();
}

function redrawFast(): void {
  const t = state.trainer;
  const losses = t?.solver.lossHistory ?? [];
  drawLineChart(
    ui.lossChart,
    [
      { label: 'minibatch', color: '#1f6fb2', ys: losses, faint: true },
      { label: 'running mean', color: '#1f6fb2', ys: runningMean(losses, 20) },
    ],
    { title: 'loss', xLabel: 'iteration', integerX: true },
  );
  const epochs = t?.epochs ?? [];
  const xs = epochs.map((e) => e.epoch);
  drawLineChart(
    ui.accuracyChart,
    [
      { label: 'train', color: '#d9822b', ys: epochs.map((e) => e.trainAcc), xs, dots: true },
      { label: 'val', color: '#2e8b3d', ys: epochs.map((e) => e.valAcc), xs, dots: true },
    ],
    { title: 'accuracy', xLabel: 'epoch', yRange: [0, 1], integerX: true },
  );
  if (t) {
    const s = t.solver;
    const last = losses.length > 0 ? losses[losses.length - 1].toFixed(4) : '–';
    ui.progress.textContent = `iteration ${s.iteration} (epoch ${s.epoch}, ${s.iterationsPerEpoch} iterations each), loss ${last}`;
    const rate = t.examplesPerSecond();
    ui.rate.textContent = rate > 0 ? `${rate.toFixed(0)} examples/s (batch ${t.hyper.batchSize})` : '–';
  }
  // tf.memory() before the backend is up would start tfjs's default backend behind initPageBackend's back.
  if (!state.backend) return;
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  const held = t?.heldTensors();
  const gpu = m.numBytesInGPU !== undefined ? `, ${(m.numBytesInGPU / 2 ** 20).toFixed(1)} MiB on the GPU` : '';
  ui.memory.textContent =
    `${m.numTensors} tensors, ${(m.numBytes / 2 ** 20).toFixed(1)} MiB${gpu}` +
    (held ? ` (held: ${held.data} data, ${held.params} parameters, ${held.solver} solver state)` : '');
}

function redrawSlow(): void {
  const t = state.trainer;
  const data = state.data;
  if (!t || !data || !state.strip) return;
  const start = performance.now();
  const tiles = firstLayerTiles(t.model);
  ui.weightsCaption.textContent = `First-layer weights: ${tiles.caption}, each stretched to its own range.`;
  drawTiles(ui.weights, tiles, tiles.h >= 32 ? 48 : 35, t.model.params.W ? data.classNames : undefined);
  const X = tf.gather(data.XVal, state.strip.indices) as tf.Tensor4D;
  try {
    state.strip.update(classProbabilities(t.model, X));
  } finally {
    X.dispose();
  }
  if (state.selected !== null) showSaliency(state.selected);
  state.lastSlowRedraw = performance.now();
  state.lastSlowRedrawMs = state.lastSlowRedraw - start;
  state.slowRedraws += 1;
}

function showSaliency(position: number): void {
  const t = state.trainer;
  const data = state.data;
  if (!t || !data || !state.strip) return;
  const idx = state.strip.indices[position];
  const label = data.val.labels[idx];
  const x = tf.slice(data.XVal, [idx, 0, 0, 0], [1, 32, 32, 3]) as tf.Tensor4D;
  try {
    const s = saliencyMap(t.model, x, label);
    drawCifarImage(ui.saliencyImage, data.val, idx);
    drawSaliency(ui.saliencyMap, s);
    ui.saliencyCaption.textContent =
      `Saliency of validation image ${idx} (${data.classNames[label]}, p = ${s.probs[label].toFixed(2)}): ` +
      '|d score / d pixel|, the largest over the colour channels, from the model\'s hand-written backward pass.';
  } finally {
    x.dispose();
  }
  state.selected = position;
  state.strip.select(position);
}

/**
 * Lets the browser paint and handle input between slices: the next animation frame (the charts just drawn reach
 * the screen, and clicks on pause are not starved by back-to-back training tasks), then a task after it. A hidden
 * tab gets no animation frames, so there a plain task keeps training going.
 */
const nextTask = () =>
  new Promise<void>((resolve) => {
    if (document.hidden) setTimeout(resolve, 0);
    else requestAnimationFrame(() => setTimeout(resolve, 0));
  });

async function runLoop(id: number): Promise<void> {
  while (state.phase === 'running' && state.trainer && id === state.loopId) {
    const t = state.trainer;
    const sliceStart = performance.now();
    try {
      do {
        t.step();
      } while (state.phase === 'running' && performance.now() - sliceStart < SLICE_MS);
    } catch (e) {
      redrawFast();
      showError(`Training stopped at iteration ${t.solver.iteration + 1}: ${(e as Error).message}`);
      return;
    }
    redrawFast();
    const wait = Math.max(SLOW_REDRAW_MS, state.lastSlowRedrawMs / SLOW_REDRAW_SHARE);
    if (performance.now() - state.lastSlowRedraw > wait) redrawSlow();
    await nextTask();
  }
  if (id !== state.loopId) return;
  redrawFast();
  redrawSlow();
}

function start(): void {
  if (!state.trainer || state.phase === 'running') return;
  if (state.error) rebuild();
  if (!state.trainer) return;
  setPhase('running');
  state.loopId += 1;
  void runLoop(state.loopId);
}

function wireControls(): void {
  ui.start.addEventListener('click', start);
  ui.pause.addEventListener('click', () => {
    if (state.phase === 'running') setPhase('paused');
  });
  ui.reset.addEventListener('click', () => {
    if (state.phase === 'running') setPhase('paused');
    rebuild();
  });
  ui.model.addEventListener('change', () => {
    writeHyper(MODELS[currentModel()].defaults);
    if (state.phase === 'running') setPhase('paused');
    rebuild();
  });
  for (const input of [ui.learningRate, ui.batchSize, ui.reg, ui.updateRule, ui.hiddenDim, ui.numFilters, ui.filterSize]) {
    input.addEventListener('change', () => {
      if (state.phase === 'running') setPhase('paused');
      rebuild();
    });
  }
  ui.backendChoice.addEventListener('change', () => {
    const next = new URLSearchParams(location.search);
    next.set('backend', ui.backendChoice.value);
    location.search = next.toString();
  });
}

function status(): PlaygroundStatus {
  const t = state.trainer;
  return {
    phase: state.phase,
    backend: state.backend,
    model: currentModel(),
    hyper: t?.hyper ?? MODELS[currentModel()].defaults,
    iteration: t?.solver.iteration ?? 0,
    epoch: t?.solver.epoch ?? 0,
    losses: [...(t?.solver.lossHistory ?? [])],
    trainAcc: t?.epochs.map((e) => e.trainAcc) ?? [],
    valAcc: t?.epochs.map((e) => e.valAcc) ?? [],
    examplesPerSecond: t?.examplesPerSecond() ?? 0,
    numTensors: state.backend ? tf.memory().numTensors : 0,
    heldTensors: t?.heldTensors().total ?? 0,
    memory: [...(t?.memory ?? [])],
    slowRedraws: state.slowRedraws,
    saliencyShown: state.selected !== null,
    error: state.error,
    dataSource: state.data?.source ?? null,
  };
}

async function main(): Promise<void> {
  (window as unknown as { __playground: { status: () => PlaygroundStatus } }).__playground = { status };
  window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${String((e.reason as Error)?.message ?? e.reason)}`));
  for (const name of MODEL_NAMES) ui.model.add(new Option(MODELS[name].label, name));
  for (const rule of UPDATE_RULE_NAMES) ui.updateRule.add(new Option(rule, rule));

  const askedModel = params.get('model') ?? 'softmax';
  ui.model.value = isModelName(askedModel) ? askedModel : 'softmax';
  writeHyper(MODELS[currentModel()].defaults);
  ui.description.textContent = MODELS[currentModel()].describe(MODELS[currentModel()].defaults);
  showArchitectureFields();
  const askedBackend = params.get('backend') ?? 'webgl';
  const requested: PageBackend = isPageBackend(askedBackend) ? askedBackend : 'webgl';
  ui.backendChoice.value = requested;
  wireControls();
  redrawFast();

  try {
    state.backend = await initPageBackend(requested, new URL('wasm/', location.href).href);
  } catch (e) {
    ui.backend.textContent = 'none';
    showError(`No TensorFlow.js backend could start: ${(e as Error).message}`);
    return;
  }
  const b = state.backend;
  ui.backend.textContent = describeBackend(b);
  ui.backend.classList.add(b.name === 'webgl' && !b.software && b.failures.length === 0 ? 'gpu' : 'fallback');
  if (b.failures.length > 0) {
    ui.notice.hidden = false;
    ui.notice.textContent = `${b.requested} is not available here, so training runs on ${b.name}: ${b.failures.join('; ')}`;
  } else if (b.software) {
    ui.notice.hidden = false;
    ui.notice.textContent = `WebGL runs in software here (${b.renderer}): no GPU, so it is slower than wasm; pick wasm above for speed.`;
  }

  try {
    state.data = await loadPageData(new URL('data', location.href).href, Number(params.get('train') ?? 5000), Number(params.get('val') ?? 500));
  } catch (e) {
    ui.dataSource.textContent = 'none';
    showError(`No data: ${(e as Error).message}`);
    return;
  }
  ui.dataSource.textContent = state.data.source;
  const numStrip = Math.min(STRIP_SIZE, state.data.val.n);
  state.strip = new PredictionStrip(ui.strip, state.data.val, Array.from({ length: numStrip }, (_, i) => i), state.data.classNames, showSaliency);
  rebuild();
}

void main();
