/**
 * The playground page: the library's models trained live by the library's Solver, with the loss, accuracies,
 * first-layer weights, predictions, saliency, each layer's activations and a gradient check redrawn between steps.
 *
 * URL parameters: ?backend=webgl|wasm|cpu (default: webgl on a real GPU, else wasm), ?model=softmax|two_layer_net|
 * convnet, ?seed=<n>, ?train=<n>&val=<n> (subset sizes, default 5000 and 500), ?evalEvery=<n> (iterations between
 * accuracy checks, default 25).
 *
 * For tests and the curious, `window.__playground.status()` returns what the page shows as plain data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UPDATE_RULE_NAMES, type UpdateRuleName } from '../src/optim';
import { describeBackend, initPageBackend, isPageBackend, type BackendReport, type PageBackend } from './backend';
import { drawLineChart, runningMean } from './charts';
import { loadPageData, type PageData } from './data';
import { gradientCheck, type GradCheckResult } from './gradient_check';
import { drawActivations, layerRows, type LayerRow } from './layer_view';
import { checkFitsInMemory, EXPECTED_INITIAL_LOSS, isModelName, MODEL_NAMES, MODELS, type Hyperparameters, type ModelName } from './models';
import { classProbabilities, drawCifarImage, PredictionStrip } from './predictions';
import { drawSaliency, drawSaliencyScale, saliencyMap } from './saliency';
import { RunawayLossError, Trainer, type AccuracyCheck, type MemoryRecord } from './trainer';
import { drawTiles, firstLayerTiles, type WeightTiles } from './weights_view';

/** Validation images in the strip. */
const STRIP_SIZE = 8;
/** Training runs in slices of about this many milliseconds, then the page redraws and answers input. */
const SLICE_MS = 60;
/**
 * The slower panels (weights, predictions, saliency, layers) redraw at most this often, and at most a fifth of
 * the time.
 */
const SLOW_REDRAW_MS = 700;
const SLOW_REDRAW_SHARE = 0.2;
/** Training accuracy this far above validation accuracy is named as overfitting. */
const OVERFIT_GAP = 0.15;
/** Examples the gradient check takes from a minibatch (autodiff keeps every intermediate; the cpu backend is slow). */
const GRADCHECK_EXAMPLES = 8;

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
  checks: AccuracyCheck[];
  trainAcc: number[];
  valAcc: number[];
  initialLoss: number | null;
  overfitting: boolean;
  examplesPerSecond: number;
  numTensors: number;
  heldTensors: number;
  memory: MemoryRecord[];
  /** Sums of every parameter's entries, to tell whether the weights were kept. */
  paramSums: Record<string, number>;
  /** Times the slower panels were redrawn (weights and predictions). */
  slowRedraws: number;
  saliencyShown: boolean;
  layers: { name: string; shape: number[]; gradNorm: number }[];
  gradCheck: GradCheckResult | null;
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
  logScale: byId<HTMLInputElement>('log-scale'),
  initialLoss: byId<HTMLSpanElement>('initial-loss'),
  accuracyChart: byId<HTMLCanvasElement>('accuracy-chart'),
  overfit: byId<HTMLSpanElement>('overfit'),
  accuracyCaption: byId<HTMLSpanElement>('accuracy-caption'),
  weights: byId<HTMLCanvasElement>('weights'),
  weightsCaption: byId<HTMLElement>('weights-caption'),
  strip: byId<HTMLDivElement>('strip'),
  saliencyImage: byId<HTMLCanvasElement>('saliency-image'),
  saliencyMap: byId<HTMLCanvasElement>('saliency-map'),
  saliencyScale: byId<HTMLCanvasElement>('saliency-scale'),
  saliencyMax: byId<HTMLSpanElement>('saliency-max'),
  saliencyCaption: byId<HTMLElement>('saliency-caption'),
  gradcheck: byId<HTMLButtonElement>('gradcheck'),
  gradcheckTable: byId<HTMLTableElement>('gradcheck-table'),
  gradcheckCaption: byId<HTMLElement>('gradcheck-caption'),
  layers: byId<HTMLDivElement>('layers'),
  layersCaption: byId<HTMLSpanElement>('layers-caption'),
};

const params = new URLSearchParams(location.search);
const seed = Number(params.get('seed') ?? 0);
const evalEvery = Number(params.get('evalEvery') ?? 25);

const state = {
  phase: 'loading' as Phase,
  backend: null as BackendReport | null,
  data: null as PageData | null,
  trainer: null as Trainer | null,
  strip: null as PredictionStrip | null,
  selected: 0,
  saliencyShown: false,
  layers: [] as LayerRow[],
  gradCheck: null as GradCheckResult | null,
  /** True while the gradient check runs: it may switch backends, so the loop and every change wait. */
  busy: false,
  /** A change of the controls made while busy, applied when the check ends (new weights win over a live change). */
  deferred: null as (() => void) | null,
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

/** Shows why training stopped (a diverged loss): on the page, not as a console error, since nothing broke. */
function showStop(message: string): void {
  state.error = message;
  ui.error.textContent = message;
  ui.error.hidden = false;
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
  ui.gradcheck.disabled = !haveTrainer || phase === 'loading' || state.busy;
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
  if (state.busy) {
    state.deferred = rebuild;
    return;
  }
  state.trainer?.dispose();
  state.trainer = null;
  state.gradCheck = null;
  ui.gradcheckTable.replaceChildren();
  clearError();
  const name = currentModel();
  showArchitectureFields();
  try {
    const hyper = readHyper();
    ui.description.textContent = MODELS[name].describe(hyper);
    checkFitsInMemory(name, hyper);
    state.trainer = new Trainer((reg) => MODELS[name].build({ ...hyper, reg }, seed), data, hyper, seed, evalEvery);
  } catch (e) {
    showError(`Cannot build the ${MODELS[name].label}: ${(e as Error).message}`);
    return;
  }
  const e = state.trainer.evalSizes;
  ui.accuracyCaption.textContent = `Accuracy on ${e.train} fixed training and ${e.val} fixed validation images, every ${evalEvery} iterations.`;
  setPhase('ready');
  redrawFast();
  redrawSlow();
}

/** A learning rate, regularisation, update rule or batch size changed: the running training takes it, weights kept. */
function changeLive(): void {
  if (state.busy) {
    state.deferred ??= changeLive;
    return;
  }
  const t = state.trainer;
  if (!t || state.phase === 'error') {
    rebuild();
    return;
  }
  try {
    const h = readHyper();
    checkFitsInMemory(currentModel(), h);
    t.reconfigure(h);
    clearError();
    ui.description.textContent = MODELS[currentModel()].describe(h);
  } catch (e) {
    // A value that does not parse: say so, keep training with the last good values.
    ui.error.textContent = (e as Error).message;
    ui.error.hidden = false;
    return;
  }
  redrawFast();
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(3);
}

function redrawFast(): void {
  const t = state.trainer;
  const { xs, ys } = t ? t.losses.points() : { xs: [], ys: [] };
  const window = Math.max(1, Math.round(20 / (t?.losses.size ?? 1)));
  drawLineChart(
    ui.lossChart,
    [
      { label: 'minibatch', color: '#1f6fb2', ys, xs, faint: true },
      { label: 'running mean', color: '#1f6fb2', ys: runningMean(ys, window), xs },
    ],
    { title: 'loss', xLabel: 'iteration', integerX: true, logY: ui.logScale.checked },
  );
  const checks = t?.checks ?? [];
  const cx = checks.map((c) => c.iteration);
  drawLineChart(
    ui.accuracyChart,
    [
      { label: 'train', color: '#d9822b', ys: checks.map((c) => c.trainAcc), xs: cx, dots: checks.length < 60 },
      { label: 'validation', color: '#2e8b3d', ys: checks.map((c) => c.valAcc), xs: cx, dots: checks.length < 60 },
    ],
    { title: 'accuracy', xLabel: 'iteration', yRange: [0, 1], integerX: true },
  );
  if (t) {
    const s = t.solver;
    const last = s.lossHistory.length > 0 ? fmt(s.lossHistory[s.lossHistory.length - 1]) : '–';
    ui.progress.textContent = `iteration ${s.iteration} (epoch ${t.epoch.toFixed(1)}), loss ${last}`;
    const rate = t.examplesPerSecond();
    ui.rate.textContent = rate > 0 ? `${rate.toFixed(0)} examples/s (batch ${s.batchSize})` : '–';
    ui.initialLoss.textContent =
      t.initialLoss === null
        ? `Expect a first loss near ln 10 = ${EXPECTED_INITIAL_LOSS.toFixed(2)}.`
        : `First loss ${t.initialLoss.toFixed(2)}, expected ln 10 = ${EXPECTED_INITIAL_LOSS.toFixed(2)}: small random weights score every class ` +
          'about the same, so the correct one gets p = 1/10 and -ln(1/10) = 2.30 (regularisation adds a little).';
    const c = checks[checks.length - 1];
    const gap = c ? c.trainAcc - c.valAcc : 0;
    ui.overfit.classList.toggle('warn', gap > OVERFIT_GAP);
    ui.overfit.textContent = !c
      ? ''
      : gap > OVERFIT_GAP
        ? `Overfitting: training accuracy ${c.trainAcc.toFixed(2)} vs validation ${c.valAcc.toFixed(2)}. The model memorises its training ` +
          'images; more regularisation (try raising reg now), more data or a smaller model narrow the gap.'
        : `Latest: training ${c.trainAcc.toFixed(2)}, validation ${c.valAcc.toFixed(2)} (chance: 0.10).`;
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
  // While the gradient check may have switched backends, the model's tensors stay where they are.
  if (!t || !data || !state.strip || state.busy) return;
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
  showImage(state.selected);
  state.lastSlowRedraw = performance.now();
  state.lastSlowRedrawMs = state.lastSlowRedraw - start;
  state.slowRedraws += 1;
}

/** The saliency map and the layer view of strip image `position`. */
function showImage(position: number): void {
  const t = state.trainer;
  const data = state.data;
  if (!t || !data || !state.strip || state.busy) return;
  const idx = state.strip.indices[position];
  const label = data.val.labels[idx];
  const x = tf.slice(data.XVal, [idx, 0, 0, 0], [1, 32, 32, 3]) as tf.Tensor4D;
  try {
    const s = saliencyMap(t.model, x, label);
    drawCifarImage(ui.saliencyImage, data.val, idx);
    const max = drawSaliency(ui.saliencyMap, s);
    drawSaliencyScale(ui.saliencyScale);
    ui.saliencyMax.textContent = max.toExponential(1);
    ui.saliencyCaption.textContent =
      `Saliency of validation image ${idx} (${data.classNames[label]}, p = ${s.probs[label].toFixed(2)}): ` +
      '|d score / d pixel|, the largest over the colour channels, from the hand-written backward pass; the scale runs from 0 (black) to ' +
      'the largest value in this image (white).';
    const { rows, loss } = layerRows(t.model, x, label);
    state.layers = rows;
    drawLayers(rows, t.model.params.W1?.rank === 4 ? firstLayerTiles(t.model) : null);
    ui.layersCaption.textContent = `validation image ${idx} (${data.classNames[label]}), loss ${loss.toFixed(3)}`;
  } finally {
    x.dispose();
  }
  state.selected = position;
  state.saliencyShown = true;
  state.strip.select(position);
}

function drawLayers(rows: LayerRow[], tiles: WeightTiles | null): void {
  const maxNorm = Math.max(...rows.map((r) => r.gradNorm), 1e-30);
  const afterwards: (() => void)[] = [];
  const items = rows.map((r) => {
    const box = document.createElement('div');
    box.className = 'layer';
    const title = document.createElement('div');
    const strong = document.createElement('strong');
    strong.textContent = r.name;
    title.append(strong, ` [${r.shape.join('x')}]`);
    const canvas = document.createElement('canvas');
    if (r.shape.length !== 3) canvas.className = 'vector';
    drawActivations(canvas, r);
    if (r.shape.length === 3) canvas.style.width = `${Math.min(canvas.width * (r.shape[0] >= 32 ? 1.5 : 2.5), 400)}px`;
    const grad = document.createElement('div');
    grad.className = 'grad';
    grad.textContent = `||dL/d out|| = ${r.gradNorm.toExponential(2)}`;
    const bar = document.createElement('span');
    bar.className = 'gradbar';
    // A log bar: gradients differ by orders of magnitude between layers.
    const share = Math.max(0.02, 1 + Math.log10(Math.max(r.gradNorm, 1e-30) / maxNorm) / 6);
    bar.style.width = `${(100 * share).toFixed(0)}%`;
    box.append(title, canvas, grad, bar);
    if (r.weights) {
      const w = r.weights;
      const line = document.createElement('div');
      line.className = 'muted';
      // The course's babysitting number: an update of lr * ||dW|| should be about 1e-3 of ||W||.
      line.textContent = `${w.name} [${w.shape.join('x')}]: ||W|| = ${w.norm.toExponential(2)}, ||dW|| = ${w.gradNorm.toExponential(2)}`;
      box.append(line);
      if (w.shape.length === 4 && tiles) {
        const filters = document.createElement('canvas');
        filters.className = 'filters';
        box.append(filters);
        // Drawn once in the page: the tiles' layout needs the canvas's width.
        afterwards.push(() => drawTiles(filters, tiles, 20));
      }
    }
    return box;
  });
  ui.layers.replaceChildren(...items);
  for (const draw of afterwards) draw();
}

/** Runs the gradient check on a minibatch of the training data at the current weights, pausing training meanwhile. */
async function runGradCheck(): Promise<void> {
  const t = state.trainer;
  const data = state.data;
  if (!t || !data || state.busy) return;
  state.busy = true;
  setPhase(state.phase);
  ui.gradcheckCaption.textContent = 'Checking…';
  const n = Math.min(GRADCHECK_EXAMPLES, t.solver.batchSize, data.XTrain.shape[0]);
  const offset = (t.iteration * n) % Math.max(1, data.XTrain.shape[0] - n + 1);
  const X = tf.slice(data.XTrain, offset, n) as tf.Tensor4D;
  const y = tf.slice(data.yTrain, offset, n) as tf.Tensor1D;
  try {
    const name = currentModel();
    const hyper = t.hyper;
    const r = await gradientCheck(t.model, () => MODELS[name].build(hyper, seed), X, y, hyper.reg);
    state.gradCheck = r;
    const head = document.createElement('tr');
    for (const h of ['parameter', 'shape', '||grad||', 'relative error', '']) head.appendChild(Object.assign(document.createElement('th'), { textContent: h }));
    const rows = r.rows.map((row) => {
      const tr = document.createElement('tr');
      const cells = [row.param, `[${row.shape.join(', ')}]`, row.norm.toExponential(2), row.relError.toExponential(2), row.pass ? 'ok' : 'too large'];
      cells.forEach((c, i) => {
        const td = document.createElement('td');
        td.textContent = c;
        if (i === 4) td.className = row.pass ? 'pass' : 'fail';
        tr.appendChild(td);
      });
      return tr;
    });
    ui.gradcheckTable.replaceChildren(head, ...rows);
    ui.gradcheckCaption.textContent =
      `${r.examples} training images at iteration ${t.iteration}, loss ${r.loss.toFixed(3)}, on ${r.backend}. Relative error = ` +
      `||hand - autodiff|| / max(||hand||, ||autodiff||): both compute the same float32 maths, often with the same kernels, so they agree ` +
      `exactly or to about 1e-7; above ${r.bound.toExponential(0)} a backward pass would be wrong, not merely rounded.`;
  } catch (e) {
    ui.gradcheckCaption.textContent = `The gradient check failed: ${(e as Error).message}`;
    console.error(e);
  } finally {
    tf.dispose([X, y]);
    state.busy = false;
    setPhase(state.phase);
    const deferred = state.deferred;
    state.deferred = null;
    deferred?.();
  }
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
    if (state.busy) {
      await nextTask();
      continue;
    }
    const sliceStart = performance.now();
    try {
      do {
        // An accuracy check runs in chunks before the next step, so that every chunk sees the same weights.
        if (t.checking) t.checkChunk();
        else t.step();
      } while (state.phase === 'running' && performance.now() - sliceStart < SLICE_MS);
    } catch (e) {
      redrawFast();
      // A runaway loss is caught after its step; the Solver's NaN check, before the step that would take it.
      showStop(`Training stopped at iteration ${t.iteration + (e instanceof RunawayLossError ? 0 : 1)}: ${(e as Error).message}`);
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
  state.trainer.resetClock();
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
    const wasRunning = state.phase === 'running';
    if (wasRunning) setPhase('paused');
    rebuild();
    if (wasRunning) start();
  });
  ui.model.addEventListener('change', () => {
    writeHyper(MODELS[currentModel()].defaults);
    if (state.phase === 'running') setPhase('paused');
    rebuild();
  });
  for (const input of [ui.learningRate, ui.reg, ui.updateRule, ui.batchSize]) input.addEventListener('change', changeLive);
  for (const input of [ui.hiddenDim, ui.numFilters, ui.filterSize]) {
    input.addEventListener('change', () => {
      if (state.phase === 'running') setPhase('paused');
      rebuild();
    });
  }
  ui.logScale.addEventListener('change', redrawFast);
  // Charts and tiles are drawn at the canvas's CSS size: a turned phone or a resized window redraws them.
  window.addEventListener('resize', () => {
    redrawFast();
    if (state.phase !== 'running') redrawSlow();
  });
  ui.gradcheck.addEventListener('click', () => void runGradCheck());
  ui.backendChoice.addEventListener('change', () => {
    const next = new URLSearchParams(location.search);
    next.set('backend', ui.backendChoice.value);
    location.search = next.toString();
  });
}

function paramSums(): Record<string, number> {
  const t = state.trainer;
  if (!t) return {};
  return Object.fromEntries(Object.entries(t.model.params).map(([k, v]) => [k, tf.tidy(() => tf.sum(v).dataSync()[0])]));
}

function status(): PlaygroundStatus {
  const t = state.trainer;
  const checks = [...(t?.checks ?? [])];
  const c = checks[checks.length - 1];
  return {
    phase: state.phase,
    backend: state.backend,
    model: currentModel(),
    hyper: t?.hyper ?? MODELS[currentModel()].defaults,
    iteration: t?.iteration ?? 0,
    epoch: t?.epoch ?? 0,
    losses: [...(t?.solver.lossHistory ?? [])],
    checks,
    trainAcc: checks.map((x) => x.trainAcc),
    valAcc: checks.map((x) => x.valAcc),
    initialLoss: t?.initialLoss ?? null,
    overfitting: c !== undefined && c.trainAcc - c.valAcc > OVERFIT_GAP,
    examplesPerSecond: t?.examplesPerSecond() ?? 0,
    numTensors: state.backend ? tf.memory().numTensors : 0,
    heldTensors: t?.heldTensors().total ?? 0,
    memory: [...(t?.memory ?? [])],
    paramSums: paramSums(),
    slowRedraws: state.slowRedraws,
    saliencyShown: state.saliencyShown,
    layers: state.layers.map((l) => ({ name: l.name, shape: l.shape, gradNorm: l.gradNorm })),
    gradCheck: state.gradCheck,
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
  const askedBackend = params.get('backend');
  const requested: PageBackend = askedBackend !== null && isPageBackend(askedBackend) ? askedBackend : 'webgl';
  ui.backendChoice.value = requested;
  wireControls();
  redrawFast();

  try {
    state.backend = await initPageBackend(requested, new URL('wasm/', location.href).href, askedBackend !== null);
  } catch (e) {
    ui.backend.textContent = 'none';
    showError(`No TensorFlow.js backend could start: ${(e as Error).message}`);
    return;
  }
  const b = state.backend;
  ui.backendChoice.value = b.name;
  ui.backend.textContent = describeBackend(b);
  ui.backend.classList.add(b.name === 'webgl' && !b.software && b.failures.length === 0 ? 'gpu' : 'fallback');
  if (b.skippedSoftwareWebgl) {
    ui.notice.hidden = false;
    ui.notice.textContent = `No GPU here (WebGL runs in software), so the page trains on ${b.name}, about 14 times faster.`;
  } else if (b.failures.length > 0) {
    ui.notice.hidden = false;
    ui.notice.textContent = `${b.requested} is not available here, so training runs on ${b.name}: ${b.failures.join('; ')}`;
  } else if (b.software) {
    ui.notice.hidden = false;
    ui.notice.textContent = `WebGL runs in software here (${b.renderer}): no GPU, so it is about 14 times slower than wasm; pick wasm above for speed.`;
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
  state.strip = new PredictionStrip(ui.strip, state.data.val, Array.from({ length: numStrip }, (_, i) => i), state.data.classNames, (k) => {
    showImage(k);
  });
  rebuild();
}

void main();
