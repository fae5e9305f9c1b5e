/**
 * The playground page: the DOM, the charts and the session's record. Training runs in a Web Worker (worker.ts),
 * which owns the backend, the data, the model and the Solver; this file sends it commands and draws what it
 * reports (protocol.ts). No tensor work runs here, so no setting can freeze the page and Pause always answers.
 *
 * The page's address holds the whole state (url_state.ts); the curves and every change survive pauses, stops,
 * new weights and backend switches (timeline.ts).
 *
 * For tests and the curious, `window.__playground.status()` returns what the page shows as plain data.
 */
import { UPDATE_RULE_NAMES, type UpdateRuleName } from '../src/optim';
import { CifarSplit } from '../src/data/split';
import { describeBackend, pageHasWebgl, type BackendReport, type PageBackend } from './backend';
import { drawLineChart, runningMean } from './charts';
import type { GradCheckMode, GradCheckResult } from './gradient_check';
import { drawActivations, MAX_MAPS, type LayerRow } from './layer_view';
import { EXPECTED_INITIAL_LOSS, MODEL_NAMES, MODELS, type Hyperparameters, type ModelName } from './models';
import { PredictionStrip } from './predictions';
import type { FromWorker, ProgressData, SlowData, ToWorker, WeightsSnapshot } from './protocol';
import { drawSaliency, drawSaliencyScale, type Saliency } from './saliency';
import { describeChange, Timeline } from './timeline';
import type { AccuracyCheck, MemoryRecord } from './trainer';
import { readUrlState, urlQuery, type SessionSettings } from './url_state';
import { drawTiles, type WeightTiles } from './weights_view';

/** Validation images in the strip. */
const STRIP_SIZE = 8;
/** Training accuracy this far above validation accuracy is named as overfitting. */
const OVERFIT_GAP = 0.15;
/** The learner's own image: files larger than this are refused before decoding. */
const MAX_UPLOAD_BYTES = 20 * 2 ** 20;
/** Set by the build (web/build.ts): which library files the learner's workspace replaced, or null. */
declare const __LEARNER_PIECES__: { dir: string; files: string[] } | null;

type Phase = 'loading' | 'ready' | 'running' | 'pausing' | 'paused' | 'stopped' | 'error';

/** What `window.__playground.status()` returns. */
export interface PlaygroundStatus {
  phase: Phase;
  backend: BackendReport | null;
  model: ModelName;
  hyper: Hyperparameters;
  /** The current model's iteration, and its epochs from the examples it has seen. */
  iteration: number;
  examplesSeen: number;
  epoch: number;
  /** The progress line as shown. */
  progressText: string;
  /** The current model's minibatch losses, one per iteration. */
  losses: number[];
  checks: AccuracyCheck[];
  trainAcc: number[];
  valAcc: number[];
  /** The session's record: losses (thinned) and checks on the session's iteration, and every marked event. */
  timeline: { points: number; lastX: number; checks: number; events: { x: number; text: string }[] };
  initialLoss: number | null;
  overfitting: boolean;
  examplesPerSecond: number;
  numTensors: number;
  heldTensors: number;
  memory: MemoryRecord[];
  paramSums: Record<string, number>;
  slowRedraws: number;
  saliencyShown: boolean;
  layers: { name: string; shape: number[]; gradNorm: number; note: string }[];
  gradCheck: GradCheckResult | null;
  /** Gradient checks shown so far. */
  gradChecks: number;
  confusion: number[][] | null;
  upload: { top: string; probs: number[] } | null;
  error: string | null;
  /** A refusal or a field that does not parse: shown, the model kept. */
  refusal: string | null;
  notices: string[];
  dataSource: string | null;
  gflops: number;
  url: string;
  learnerPieces: string[];
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
  impl: byId<HTMLParagraphElement>('impl'),
  backend: byId<HTMLSpanElement>('backend'),
  dataSource: byId<HTMLSpanElement>('data-source'),
  progress: byId<HTMLSpanElement>('progress'),
  rate: byId<HTMLSpanElement>('rate'),
  memory: byId<HTMLSpanElement>('memory'),
  lossChart: byId<HTMLCanvasElement>('loss-chart'),
  logScale: byId<HTMLInputElement>('log-scale'),
  initialLoss: byId<HTMLSpanElement>('initial-loss'),
  events: byId<HTMLOListElement>('events'),
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
  gradcheckMode: byId<HTMLSelectElement>('gradcheck-mode'),
  plantBug: byId<HTMLInputElement>('plant-bug'),
  gradcheckTable: byId<HTMLTableElement>('gradcheck-table'),
  gradcheckCaption: byId<HTMLElement>('gradcheck-caption'),
  confusion: byId<HTMLTableElement>('confusion'),
  confusionCaption: byId<HTMLSpanElement>('confusion-caption'),
  upload: byId<HTMLInputElement>('upload'),
  uploadImage: byId<HTMLCanvasElement>('upload-image'),
  uploadSaliency: byId<HTMLCanvasElement>('upload-saliency'),
  uploadScores: byId<HTMLOListElement>('upload-scores'),
  uploadCaption: byId<HTMLElement>('upload-caption'),
  layers: byId<HTMLDivElement>('layers'),
  layersCaption: byId<HTMLSpanElement>('layers-caption'),
};

const initial = readUrlState(location.search);
const session: SessionSettings = initial.session;

const state = {
  phase: 'loading' as Phase,
  worker: null as Worker | null,
  backend: null as BackendReport | null,
  /** The backend the learner chose (null: the page picks: WebGL on a real GPU, else wasm). */
  chosenBackend: initial.backend,
  classNames: [] as string[],
  strip: null as PredictionStrip | null,
  stripLabels: [] as number[],
  dataSource: null as string | null,
  gflops: 0,
  numTrain: 0,
  /** The model and hyperparameters the worker runs (null before the first build). */
  model: null as ModelName | null,
  hyper: null as Hyperparameters | null,
  progress: null as ProgressData | null,
  losses: [] as number[],
  checks: [] as AccuracyCheck[],
  timeline: new Timeline(),
  paramSums: {} as Record<string, number>,
  slowRedraws: 0,
  selected: 0,
  saliencyShown: false,
  layers: [] as { name: string; shape: number[]; gradNorm: number; note: string }[],
  gradCheck: null as GradCheckResult | null,
  confusion: null as number[][] | null,
  upload: null as { top: string; probs: number[] } | null,
  error: null as string | null,
  refusal: null as string | null,
  notices: [] as string[],
  /** Weights carried to the next worker on a backend switch, and the switch's marker text. */
  carry: null as { weights: WeightsSnapshot | null; text: string } | null,
  /** Marker text for the next build, when it is a rebuild the learner asked for. */
  pendingMark: null as string | null,
  /** Start training once the pending build lands (Start after a stop). */
  startAfterBuild: false,
  /** The shared pause flag (protocol.ts), where the page is cross-origin isolated. */
  control: (self.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null) as Int32Array | null,
  /** Gradient checks shown so far. */
  gradChecks: 0,
  /** The model and hyperparameters of the last build asked for, to skip a change event that changes nothing. */
  lastRequest: '',
};

function send(m: ToWorker): void {
  state.worker?.postMessage(m);
}

// ---------------------------------------------------------------------------------------------------- messages

function showNotice(text: string): void {
  state.notices.push(text);
  ui.notice.hidden = false;
  ui.notice.textContent = state.notices.join('\n');
}

/** Shows an error that stops the page (no backend, no data, a worker failure); also in the console. */
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
  setPhase('stopped');
}

/** A refused change (a field that does not parse, a guard): shown, the running model and the buttons kept. */
function showRefusal(message: string, field?: HTMLInputElement): void {
  state.refusal = message;
  ui.error.textContent = message;
  ui.error.hidden = false;
  field?.setAttribute('aria-invalid', 'true');
}

function clearMessages(): void {
  state.refusal = null;
  if (state.phase !== 'stopped' && state.phase !== 'error') {
    state.error = null;
    ui.error.hidden = true;
    ui.error.textContent = '';
  }
  for (const input of [ui.learningRate, ui.batchSize, ui.reg, ui.hiddenDim, ui.numFilters, ui.filterSize]) input.removeAttribute('aria-invalid');
}

function setPhase(phase: Phase): void {
  state.phase = phase;
  const haveModel = state.model !== null;
  const busy = phase === 'loading' || phase === 'error';
  ui.start.disabled = !haveModel || busy || phase === 'running' || phase === 'pausing';
  ui.pause.disabled = phase !== 'running';
  ui.pause.textContent = phase === 'pausing' ? 'Pausing…' : 'Pause';
  ui.reset.disabled = busy || state.classNames.length === 0;
  ui.gradcheck.disabled = !haveModel || busy;
  ui.upload.disabled = !haveModel || busy;
  ui.backendChoice.disabled = phase === 'loading';
}

// ---------------------------------------------------------------------------------------------------- controls

type Parsed = { ok: true; hyper: Hyperparameters } | { ok: false; message: string; field: HTMLInputElement };

function parseField(input: HTMLInputElement, name: string, check: (v: number) => boolean, expected: string): number | string {
  const text = input.value.trim();
  const v = Number(text);
  if (text === '' || text.length > 32 || !Number.isFinite(v) || !check(v)) return `${name} must be ${expected}, got '${input.value.slice(0, 32)}'`;
  return v;
}

const positiveInteger = (v: number) => Number.isInteger(v) && v > 0;

/** The hyperparameters in the controls, or the first field that does not parse. */
function readHyper(): Parsed {
  const fields: [keyof Hyperparameters, HTMLInputElement, string, (v: number) => boolean, string][] = [
    ['learningRate', ui.learningRate, 'learning rate', (v) => v > 0 && v <= 1e38, 'a positive number (e.g. 1e-3)'],
    ['batchSize', ui.batchSize, 'batch size', (v) => positiveInteger(v) && v <= 5000, 'an integer from 1 to 5000'],
    ['reg', ui.reg, 'regularisation', (v) => v >= 0 && v <= 1e9, 'a number from 0 to 1e9'],
    ['hiddenDim', ui.hiddenDim, 'hidden units', (v) => positiveInteger(v) && v <= 1e6, 'an integer from 1 to 1000000'],
    ['numFilters', ui.numFilters, 'filters', (v) => positiveInteger(v) && v <= 512, 'an integer from 1 to 512'],
    ['filterSize', ui.filterSize, 'filter size', (v) => positiveInteger(v) && v % 2 === 1, 'an odd positive integer (3, 5, 7)'],
  ];
  const out: Record<string, number | string> = { updateRule: ui.updateRule.value };
  for (const [key, input, name, check, expected] of fields) {
    const v = parseField(input, name, check, expected);
    if (typeof v === 'string') return { ok: false, message: v, field: input };
    out[key] = v;
  }
  return { ok: true, hyper: out as unknown as Hyperparameters };
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

function currentModel(): ModelName {
  return ui.model.value as ModelName;
}

/** Shows only the architecture fields the chosen model uses. */
function showArchitectureFields(): void {
  const uses: readonly string[] = MODELS[currentModel()].uses;
  for (const [field, id] of [['hiddenDim', 'hidden-dim'], ['numFilters', 'num-filters'], ['filterSize', 'filter-size']]) {
    byId(`${id}-field`).hidden = !uses.includes(field);
  }
}

/** The state in the address bar, replaced in place (no reload, no history entry per keystroke). */
function writeUrl(): void {
  const parsed = readHyper();
  const hyper = parsed.ok ? parsed.hyper : (state.hyper ?? MODELS[currentModel()].defaults);
  history.replaceState(null, '', urlQuery(currentModel(), hyper, state.chosenBackend, session));
}

/** The settings as the markers name them. */
function named(model: ModelName, h: Hyperparameters): Record<string, string> {
  const uses: readonly string[] = MODELS[model].uses;
  const out: Record<string, string> = { lr: fmtNum(h.learningRate), reg: fmtNum(h.reg), rule: h.updateRule, batch: String(h.batchSize) };
  if (uses.includes('hiddenDim')) out.hidden = String(h.hiddenDim);
  if (uses.includes('numFilters')) out.filters = String(h.numFilters);
  if (uses.includes('filterSize')) out['filter size'] = String(h.filterSize);
  return out;
}

function fmtNum(v: number): string {
  return v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4) ? v.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e') : String(v);
}

/** New weights for the chosen model and fields; the old model stays if the worker refuses them. */
function requestBuild(mark: string | null): void {
  const parsed = readHyper();
  if (!parsed.ok) {
    showRefusal(`Cannot build the ${MODELS[currentModel()].label}: ${parsed.message}. The current model is kept.`, parsed.field);
    return;
  }
  state.lastRequest = JSON.stringify([currentModel(), parsed.hyper]);
  clearMessages();
  state.pendingMark = mark;
  if (state.phase === 'running') pause();
  send({ type: 'build', model: currentModel(), hyper: parsed.hyper });
}

/** A learning rate, regularisation, update rule or batch size changed: the running model takes it, weights kept. */
function changeLive(changed: HTMLElement): void {
  const h = state.hyper;
  if (!h || state.model === null) {
    requestBuild(null);
    return;
  }
  if (changed === ui.updateRule && ui.updateRule.value !== h.updateRule) {
    // Each rule starts at its own rate (see models.ts): carrying adam's rate over to rmsprop diverges.
    ui.learningRate.value = String(MODELS[state.model].rates[ui.updateRule.value as UpdateRuleName]);
  }
  const parsed = readHyper();
  if (!parsed.ok) {
    showRefusal(`${parsed.message}. Training goes on with the last good values.`, parsed.field);
    return;
  }
  clearMessages();
  const next = parsed.hyper;
  let text = describeChange(named(state.model, h), named(state.model, next));
  // A change event that changes nothing (the field lost focus) is not an event.
  if (!text) return;
  if (next.updateRule !== h.updateRule) {
    text += ` (${next.updateRule === 'sgd' ? 'sgd keeps no state' : `${next.updateRule}'s ${next.updateRule === 'sgd_momentum' ? 'velocity starts' : 'moments start'} from zero`})`;
  }
  if (text) state.timeline.mark(state.progress?.iteration ?? 0, text);
  state.hyper = next;
  send({ type: 'live', hyper: { ...next, hiddenDim: h.hiddenDim, numFilters: h.numFilters, filterSize: h.filterSize } });
  // The architecture stays the model's (the worker takes only the live fields; see Trainer.reconfigure).
  ui.description.textContent = MODELS[state.model].describe(next);
  writeUrl();
  redrawCharts();
}

function start(): void {
  if (state.model === null || state.phase === 'running' || state.phase === 'pausing') return;
  if (state.phase === 'stopped') {
    // Diverged weights teach nothing more: new ones, the curves kept.
    state.error = null;
    ui.error.hidden = true;
    state.startAfterBuild = true;
    requestBuild(`new weights after the stop: ${MODELS[currentModel()].label}`);
    return;
  }
  setPhase('running');
  send({ type: 'start' });
}

function pause(): void {
  if (state.phase !== 'running') return;
  setPhase('pausing');
  if (state.control) Atomics.store(state.control, 0, 1);
  send({ type: 'pause' });
}

// ---------------------------------------------------------------------------------------------------- backends

/** Starts a worker on `backend` (null: the page picks); on a switch, `carry` holds the weights to go on from. */
function startWorker(backend: PageBackend | null): void {
  const worker = new Worker(new URL('worker.js', location.href), { type: 'module' });
  state.worker = worker;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    if (worker === state.worker) onWorkerMessage(e.data);
  };
  worker.onerror = (e) => {
    if (worker === state.worker) showError(`The training worker failed: ${e.message || 'it could not start (see the console)'}`);
  };
  send({
    type: 'init',
    backend: backend ?? 'webgl',
    explicit: backend !== null,
    wasmBase: new URL('wasm/', location.href).href,
    dataBase: new URL('data', location.href).href,
    maxTrain: session.train,
    maxVal: session.val,
    seed: session.seed,
    evalEvery: session.evalEvery,
    stripSize: STRIP_SIZE,
    control: state.control,
    webgl: pageHasWebgl(),
  });
}

/** Moves the model, its weights, the settings and the curves to another backend, without reloading the page. */
function switchBackend(next: PageBackend): void {
  const from = state.backend?.name ?? 'none';
  if (state.phase === 'running') pause();
  state.chosenBackend = next;
  writeUrl();
  state.carry = { weights: null, text: `backend ${from} -> ${next} (update-rule state restarts)` };
  setPhase('loading');
  if (state.model === null) {
    replaceWorker(next);
    return;
  }
  send({ type: 'export' });
}

function replaceWorker(next: PageBackend): void {
  state.worker?.terminate();
  state.worker = null;
  ui.backend.textContent = `starting ${next}…`;
  startWorker(next);
}

// ---------------------------------------------------------------------------------------------------- the worker's reports

function onWorkerMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      onReady(m);
      return;
    case 'failed':
      if (m.stage === 'backend') ui.backend.textContent = 'none';
      else ui.dataSource.textContent = 'none';
      showError(m.stage === 'backend' ? `No TensorFlow.js backend could start: ${m.message}` : `No data: ${m.message}`);
      return;
    case 'built':
      onBuilt(m);
      return;
    case 'refused':
      // The worker kept its model: the buttons stay as they were.
      showRefusal(`${m.message}. The current model is kept.`);
      if (state.phase === 'loading') setPhase(state.model === null ? 'ready' : 'paused');
      state.startAfterBuild = false;
      return;
    case 'live-done':
      state.hyper = m.hyper;
      state.paramSums = m.paramSums;
      onProgress(m.progress);
      return;
    case 'progress':
      onProgress(m.progress);
      return;
    case 'slow':
      onSlow(m.slow);
      return;
    case 'stopped':
      onProgress(m.progress);
      state.timeline.mark(m.progress.iteration, 'stopped: diverged');
      showStop(m.message);
      redrawCharts();
      return;
    case 'inspected':
      onInspected(m);
      return;
    case 'gradcheck':
      onGradCheck(m.result, m.error);
      return;
    case 'uploaded':
      onUploaded(m.probs, m.saliency);
      return;
    case 'exported':
      if (state.carry) state.carry.weights = m.weights;
      replaceWorker(state.chosenBackend ?? 'wasm');
      return;
    case 'error':
      showError(`The training worker: ${m.message}`);
      return;
  }
}

function onReady(m: Extract<FromWorker, { type: 'ready' }>): void {
  state.backend = m.backend;
  state.classNames = m.classNames;
  state.dataSource = m.source;
  state.gflops = m.gflops;
  state.numTrain = m.numTrain;
  const b = m.backend;
  // A new worker (a backend switch) replaces what the last one said about its backend.
  state.notices = [...initial.refused];
  ui.notice.hidden = state.notices.length === 0;
  ui.notice.textContent = state.notices.join('\n');
  ui.backendChoice.value = b.name;
  ui.backend.textContent = `${describeBackend(b)}; matrix products at ${m.gflops.toFixed(1)} GFLOP/s`;
  ui.backend.classList.toggle('gpu', b.name === 'webgl' && !b.software && b.failures.length === 0);
  ui.backend.classList.toggle('fallback', !(b.name === 'webgl' && !b.software && b.failures.length === 0));
  if (b.skippedSoftwareWebgl) showNotice(`No GPU here (WebGL runs in software), so the page trains on ${b.name}, about 14 times faster.`);
  else if (b.failures.length > 0) showNotice(`${b.requested} is not available here, so training runs on ${b.name}: ${b.failures.join('; ')}`);
  else if (b.software) showNotice(`WebGL runs in software here (${b.renderer}): no GPU, so it is about 14 times slower than wasm; pick wasm above for speed.`);
  ui.dataSource.textContent = m.source;
  state.stripLabels = m.strip.labels;
  const split = new CifarSplit(m.strip.images, Uint8Array.from(m.strip.labels));
  state.strip = new PredictionStrip(ui.strip, split, m.strip.labels.map((_, i) => i), m.classNames, (k) => {
    state.selected = k;
    send({ type: 'inspect', position: k });
  });
  const carry = state.carry;
  if (carry) {
    state.timeline.mark(state.progress?.iteration ?? 0, carry.text);
    if (carry.weights) {
      send({ type: 'build', model: carry.weights.model, hyper: carry.weights.hyper, weights: carry.weights });
    } else {
      requestBuild(null);
    }
    state.carry = null;
    return;
  }
  requestBuild(null);
}

function onBuilt(m: Extract<FromWorker, { type: 'built' }>): void {
  const rebuilt = state.model !== null;
  if (!m.restored) {
    state.timeline.newModel();
    if (rebuilt) state.timeline.mark(0, state.pendingMark ?? `new weights: ${describeModel(m.model, m.hyper)}`);
  }
  state.pendingMark = null;
  if (state.phase === 'stopped') {
    // New weights after a divergence: the stop's message has been read, the curves keep its marker.
    state.error = null;
    ui.error.hidden = true;
  }
  state.model = m.model;
  state.hyper = m.hyper;
  if (!m.restored) {
    state.losses = [];
    state.checks = [];
  }
  state.layers = [];
  state.gradCheck = null;
  ui.gradcheckTable.replaceChildren();
  if (m.restored) {
    // Carried over from another backend: the fields show what the model is. Otherwise the fields were the
    // request, and the learner may have typed on since it was sent.
    ui.model.value = m.model;
    writeHyper(m.hyper);
  }
  showArchitectureFields();
  ui.description.textContent = MODELS[m.model].describe(m.hyper);
  ui.accuracyCaption.textContent =
    `Accuracy on ${m.evalSizes.train} fixed training and ${m.evalSizes.val} fixed validation images, every ${session.evalEvery} ` +
    `iteration${session.evalEvery === 1 ? '' : 's'}.`;
  writeUrl();
  onProgress(m.progress);
  onSlow(m.slow);
  const resume = state.startAfterBuild;
  state.startAfterBuild = false;
  setPhase(m.progress.iteration > 0 ? 'paused' : 'ready');
  if (resume) start();
  send({ type: 'inspect', position: state.selected });
}

function describeModel(model: ModelName, h: Hyperparameters): string {
  const uses: readonly string[] = MODELS[model].uses;
  const parts = [MODELS[model].label];
  if (uses.includes('numFilters')) parts.push(`${h.numFilters} filters ${h.filterSize}x${h.filterSize}`);
  if (uses.includes('hiddenDim')) parts.push(`${h.hiddenDim} hidden`);
  return parts.join(', ');
}

function onProgress(p: ProgressData): void {
  state.progress = p;
  for (const [it, loss] of p.newLosses) {
    state.losses[it - 1] = loss;
    state.timeline.addLoss(it, loss);
  }
  for (const c of p.newChecks) {
    state.checks.push(c);
    state.timeline.addCheck(c.iteration, c.trainAcc, c.valAcc);
  }
  if (state.phase === 'pausing' && p.phase !== 'running') setPhase('paused');
  scheduleRedraw();
}

let redrawPending = false;

/**
 * Redraws the charts and the status line at most once a frame, however many reports arrive: the worker may
 * report faster than the page can draw, and a page that drew every report would fall behind its own messages
 * (the click on Pause waiting behind seconds of stale redraws).
 */
function scheduleRedraw(): void {
  if (redrawPending) return;
  redrawPending = true;
  const draw = () => {
    redrawPending = false;
    redrawCharts();
    redrawStatus();
  };
  // A hidden tab gets no animation frames; a timer keeps its numbers current.
  if (document.hidden) setTimeout(draw, 200);
  else requestAnimationFrame(draw);
}

function onSlow(s: SlowData): void {
  state.paramSums = s.paramSums;
  state.slowRedraws += 1;
  // The layer view and saliency follow the weights as they train.
  if (state.saliencyShown) send({ type: 'inspect', position: state.selected });
  drawWeights(s.tiles);
  state.strip?.update(s.stripProbs);
  if (s.confusion) drawConfusion(s.confusion, s.confusionIteration ?? 0);
}

// ---------------------------------------------------------------------------------------------------- drawing

function redrawCharts(): void {
  const t = state.timeline;
  const { xs, ys } = t.losses.points();
  const window = Math.max(1, Math.round(20 / t.losses.size));
  const markers = t.events.map((e) => ({ x: e.x, label: e.text }));
  drawLineChart(
    ui.lossChart,
    [
      { label: 'minibatch', color: '#1f6fb2', ys, xs, faint: true },
      { label: 'running mean', color: '#1f6fb2', ys: runningMean(ys, window), xs },
    ],
    { title: 'loss', xLabel: 'iteration (session)', integerX: true, logY: ui.logScale.checked, markers },
  );
  const cx = t.checks.map((c) => c.x);
  const dots = t.checks.length < 60;
  drawLineChart(
    ui.accuracyChart,
    [
      { label: 'train', color: '#d9822b', ys: t.checks.map((c) => c.trainAcc), xs: cx, dots },
      { label: 'validation', color: '#2e8b3d', ys: t.checks.map((c) => c.valAcc), xs: cx, dots },
    ],
    { title: 'accuracy', xLabel: 'iteration (session)', yRange: [0, 1], integerX: true, markers },
  );
  if (ui.events.children.length !== t.events.length) {
    ui.events.replaceChildren(
      ...t.events.map((e) => {
        const li = document.createElement('li');
        li.textContent = `iteration ${e.x}: ${e.text}`;
        return li;
      }),
    );
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(3);
}

function progressText(): string {
  const p = state.progress;
  if (!p) return '–';
  const last = state.losses[p.iteration - 1];
  return `iteration ${p.iteration} (epoch ${p.epoch.toFixed(2)}: ${p.examplesSeen} examples seen of ${state.numTrain}), loss ${last === undefined ? '–' : fmt(last)}`;
}

function redrawStatus(): void {
  const p = state.progress;
  if (!p) return;
  ui.progress.textContent = progressText();
  ui.rate.textContent = p.examplesPerSecond > 0 ? `${p.examplesPerSecond.toFixed(0)} examples/s (batch ${p.batchSize})` : '–';
  ui.memory.textContent =
    `${p.numTensors} tensors, ${(p.numBytes / 2 ** 20).toFixed(1)} MiB ` +
    `(held: ${p.held.data} data, ${p.held.params} parameters, ${p.held.solver} solver state)`;
  ui.initialLoss.textContent =
    p.initialLoss === null
      ? `Expect a first loss near ln 10 = ${EXPECTED_INITIAL_LOSS.toFixed(2)}.`
      : `First loss ${p.initialLoss.toFixed(2)}, expected ln 10 = ${EXPECTED_INITIAL_LOSS.toFixed(2)}: small random weights score every class ` +
        'about the same, so the correct one gets p = 1/10 and -ln(1/10) = 2.30 (regularisation adds a little).';
  const c = state.checks[state.checks.length - 1];
  const gap = c ? c.trainAcc - c.valAcc : 0;
  ui.overfit.classList.toggle('warn', gap > OVERFIT_GAP);
  ui.overfit.textContent = !c
    ? ''
    : gap > OVERFIT_GAP
      ? `Overfitting: training accuracy ${c.trainAcc.toFixed(2)} vs validation ${c.valAcc.toFixed(2)}. The model memorises its training ` +
        'images; more regularisation (try raising reg now), more data or a smaller model narrow the gap.'
      : `Latest: training ${c.trainAcc.toFixed(2)}, validation ${c.valAcc.toFixed(2)} (chance: 0.10).`;
}

function drawWeights(tiles: WeightTiles): void {
  ui.weightsCaption.textContent = `First-layer weights: ${tiles.caption}, each stretched to its own range.`;
  const labels = tiles.caption.includes('class templates') ? state.classNames : undefined;
  drawTiles(ui.weights, tiles, tiles.h >= 32 ? 48 : 35, labels);
}

/** The confusion matrix as a table: class names on the rows, their first three letters on the columns. */
function drawConfusion(matrix: number[][], iteration: number): void {
  state.confusion = matrix;
  const names = state.classNames;
  const head = document.createElement('tr');
  head.append(Object.assign(document.createElement('th'), { textContent: 'true ↓' }));
  for (const n of names) head.append(Object.assign(document.createElement('th'), { textContent: n.slice(0, 3), title: n, scope: 'col' }));
  const rows = matrix.map((row, i) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('th'), { textContent: names[i], scope: 'row' }));
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) => {
      const td = document.createElement('td');
      td.textContent = String(count);
      td.title = `${names[i]} predicted as ${names[j]}: ${count} of ${total}`;
      const share = count / total;
      td.style.background = i === j ? `rgba(46, 139, 61, ${share.toFixed(2)})` : `rgba(179, 38, 30, ${Math.min(1, 2 * share).toFixed(2)})`;
      if (share > 0.5) td.style.color = '#fff';
      tr.append(td);
    });
    return tr;
  });
  ui.confusion.replaceChildren(head, ...rows);
  const n = matrix.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  ui.confusionCaption.textContent = `${n} validation images at iteration ${iteration}`;
}

function onInspected(m: Extract<FromWorker, { type: 'inspected' }>): void {
  const name = state.classNames[m.label];
  drawStripImage(ui.saliencyImage, m.position);
  const max = drawSaliency(ui.saliencyMap, m.saliency);
  drawSaliencyScale(ui.saliencyScale);
  ui.saliencyMax.textContent = max.toExponential(1);
  ui.saliencyCaption.textContent =
    `Saliency of validation image ${m.index} (${name}, p = ${m.saliency.probs[m.label].toFixed(2)}): ` +
    '|d score / d pixel|, the largest over the colour channels, from the hand-written backward pass; the scale runs from 0 (black) to ' +
    'the largest value in this image (white).';
  drawLayers(m.layers);
  ui.layersCaption.textContent = `validation image ${m.index} (${name}), loss ${m.loss.toFixed(3)}`;
  state.saliencyShown = true;
  state.strip?.select(m.position);
}

function drawStripImage(canvas: HTMLCanvasElement, position: number): void {
  const card = ui.strip.querySelectorAll<HTMLCanvasElement>('.card canvas.thumb')[position];
  canvas.width = 32;
  canvas.height = 32;
  if (card) canvas.getContext('2d')?.drawImage(card, 0, 0);
}

/** One box per layer: its output, ||dL/d out|| with a bar on a stated log scale, and its weights. */
function drawLayers(rows: LayerRow[]): void {
  const maxNorm = Math.max(...rows.map((r) => r.gradNorm), 1e-30);
  state.layers = [];
  const items = rows.map((r, index) => {
    const box = document.createElement('div');
    box.className = 'layer';
    const title = document.createElement('div');
    const strong = document.createElement('strong');
    strong.textContent = r.name;
    title.append(strong, ` [${r.shape.join('x')}]`);
    box.append(title);
    let note = '';
    const isScores = index === rows.length - 1 && r.shape.length === 1 && r.shape[0] === state.classNames.length;
    if (isScores) {
      box.append(scoreCells(r.values));
    } else {
      const canvas = document.createElement('canvas');
      if (r.shape.length !== 3) canvas.className = 'vector';
      drawActivations(canvas, r);
      if (r.shape.length === 3) canvas.style.width = `${Math.min(canvas.width * (r.shape[0] >= 32 ? 1.5 : 2.5), 400)}px`;
      box.append(canvas);
      if (r.shape.length === 3 && r.shape[2] > MAX_MAPS) note = `the first ${MAX_MAPS} of ${r.shape[2]} feature maps`;
      else if (r.shape.length === 1 && r.shape[0] > 200) note = `the first 200 of ${r.shape[0]} values`;
      if (note) box.append(Object.assign(document.createElement('div'), { className: 'muted', textContent: `Shows ${note}.` }));
    }
    const grad = document.createElement('div');
    grad.className = 'grad';
    grad.textContent = `||dL/d out|| = ${r.gradNorm.toExponential(2)}`;
    const bar = document.createElement('span');
    bar.className = 'gradbar';
    // A log bar: gradients differ by orders of magnitude between layers.
    const share = Math.max(0.02, 1 + Math.log10(Math.max(r.gradNorm, 1e-30) / maxNorm) / 6);
    bar.style.width = `${(100 * share).toFixed(0)}%`;
    box.append(grad, bar);
    if (r.weights) {
      const w = r.weights;
      // The course's babysitting number: an update of lr * ||dW|| should be about 1e-3 of ||W||.
      box.append(
        Object.assign(document.createElement('div'), {
          className: 'muted',
          textContent: `${w.name} [${w.shape.join('x')}]: ||W|| = ${w.norm.toExponential(2)}, ||dW|| = ${w.gradNorm.toExponential(2)}`,
        }),
      );
    }
    state.layers.push({ name: r.name, shape: r.shape, gradNorm: r.gradNorm, note });
    return box;
  });
  const scale = document.createElement('p');
  scale.className = 'muted scale-note';
  scale.textContent =
    `Gradient bars are on a log scale: a full bar is the largest ||dL/d out|| here (${maxNorm.toExponential(1)}); each sixth shorter is ` +
    '10 times smaller.';
  ui.layers.replaceChildren(...items, scale);
}

/** The scores as cells named by their class, the true class's marked. */
function scoreCells(values: Float32Array): HTMLElement {
  const list = document.createElement('div');
  list.className = 'score-cells';
  let best = 0;
  for (let j = 1; j < values.length; j++) if (values[j] > values[best]) best = j;
  values.forEach((v, j) => {
    const cell = document.createElement('span');
    cell.className = `score${j === best ? ' best' : ''}`;
    cell.textContent = `${state.classNames[j]} ${v.toFixed(2)}`;
    list.append(cell);
  });
  return list;
}

function onGradCheck(r: GradCheckResult | null, error?: string): void {
  ui.gradcheck.disabled = false;
  if (!r) {
    ui.gradcheckCaption.textContent = `The gradient check failed: ${error ?? 'no result'}`;
    console.error(`The gradient check failed: ${error}`);
    return;
  }
  state.gradCheck = r;
  state.gradChecks += 1;
  const head = document.createElement('tr');
  for (const h of ['parameter', 'shape', '||grad||', 'relative error', '']) head.appendChild(Object.assign(document.createElement('th'), { textContent: h }));
  const rows = r.rows.map((row) => {
    const tr = document.createElement('tr');
    const planted = row.param === r.planted ? ' (bug planted)' : '';
    const cells = [row.param + planted, `[${row.shape.join(', ')}]`, row.norm.toExponential(2), row.relError.toExponential(2), row.pass ? 'ok' : 'too large'];
    cells.forEach((c, i) => {
      const td = document.createElement('td');
      td.textContent = c;
      if (i === 4) td.className = row.pass ? 'pass' : 'fail';
      tr.appendChild(td);
    });
    return tr;
  });
  ui.gradcheckTable.replaceChildren(head, ...rows);
  const what =
    r.mode === 'autodiff'
      ? `Relative error = ||hand - autodiff|| / max(||hand||, ||autodiff||): both compute the same float32 maths, so they agree to about 1e-7; ` +
        `above ${r.bound.toExponential(0)} a backward pass is wrong, not merely rounded.`
      : `Centred differences (f(w + h d) - f(w - h d)) / 2h along each parameter's hand-written gradient d, against that gradient's length: ` +
        `at fresh weights correct gradients agree to about 1e-2 or better and a wrong sign reads 2, so the bound is ${r.bound.toExponential(0)}. After training, a gradient of ` +
        `about 1e-3 (a bias) can exceed it on float32's rounding of the scores alone: check such a row against autodiff.`;
  const planted = r.planted
    ? ` A bug is planted: ${r.planted}'s gradient has its sign flipped, as a wrong sign in that layer's backward pass would; its row fails.`
    : '';
  ui.gradcheckCaption.textContent = `${r.examples} training images at iteration ${state.progress?.iteration ?? 0}, loss ${r.loss.toFixed(3)}, on ${r.backend}. ${what}${planted}`;
}

// ---------------------------------------------------------------------------------------------------- your own image

async function onUpload(file: File): Promise<void> {
  if (!file.type.startsWith('image/')) {
    ui.uploadCaption.textContent = `Refused ${file.name}: it is ${file.type || 'of unknown type'}, not an image (PNG, JPEG, GIF, WebP, BMP).`;
    return;
  }
  if (file.size > MAX_UPLOAD_BYTES) {
    ui.uploadCaption.textContent = `Refused ${file.name}: ${(file.size / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_UPLOAD_BYTES / 2 ** 20} MiB this page reads.`;
    return;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { resizeWidth: 32, resizeHeight: 32, resizeQuality: 'high' });
  } catch (e) {
    ui.uploadCaption.textContent = `Refused ${file.name}: the browser could not decode it as an image (${(e as Error).message}).`;
    return;
  }
  const ctx = ui.uploadImage.getContext('2d');
  if (!ctx) return;
  ui.uploadImage.width = 32;
  ui.uploadImage.height = 32;
  ctx.drawImage(bitmap, 0, 0, 32, 32);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, 32, 32).data;
  const pixels = new Uint8Array(3072);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) pixels[p * 3 + c] = rgba[p * 4 + c];
  ui.uploadCaption.textContent = `${file.name}, shrunk to 32x32: asking the model…`;
  send({ type: 'upload', pixels });
}

function onUploaded(probs: Float32Array, saliency: Saliency): void {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
  ui.uploadScores.replaceChildren(
    ...order.slice(0, 5).map((j) => Object.assign(document.createElement('li'), { textContent: `${state.classNames[j]} ${(100 * probs[j]).toFixed(0)}%` })),
  );
  const max = drawSaliency(ui.uploadSaliency, saliency);
  state.upload = { top: state.classNames[order[0]], probs: Array.from(probs) };
  ui.uploadCaption.textContent =
    `The model's most probable classes for your image (trained on ${state.numTrain} CIFAR-10 images, so expect it to be unsure), and the ` +
    `saliency of its top class, ${state.classNames[order[0]]} (white: ${max.toExponential(1)}).`;
}

// ---------------------------------------------------------------------------------------------------- wiring

function wireControls(): void {
  ui.start.addEventListener('click', start);
  ui.pause.addEventListener('click', pause);
  ui.reset.addEventListener('click', () => requestBuild(`new weights: ${MODELS[currentModel()].label}`));
  ui.model.addEventListener('change', () => {
    writeHyper(MODELS[currentModel()].defaults);
    showArchitectureFields();
    requestBuild(null);
  });
  for (const input of [ui.learningRate, ui.reg, ui.updateRule, ui.batchSize]) input.addEventListener('change', () => changeLive(input));
  for (const input of [ui.hiddenDim, ui.numFilters, ui.filterSize]) {
    input.addEventListener('change', () => {
      // A change event that leaves the architecture as it was (the field lost focus) needs no new weights.
      const parsed = readHyper();
      if (parsed.ok && state.refusal === null && JSON.stringify([currentModel(), parsed.hyper]) === state.lastRequest) return;
      requestBuild(null);
    });
  }
  ui.logScale.addEventListener('change', redrawCharts);
  // Charts and tiles are drawn at the canvas's CSS size: a turned phone or a resized window redraws them.
  window.addEventListener('resize', redrawCharts);
  ui.gradcheck.addEventListener('click', () => {
    ui.gradcheck.disabled = true;
    ui.gradcheckCaption.textContent = 'Checking…';
    send({ type: 'gradcheck', mode: ui.gradcheckMode.value as GradCheckMode, plant: ui.plantBug.checked });
  });
  ui.backendChoice.addEventListener('change', () => switchBackend(ui.backendChoice.value as PageBackend));
  ui.upload.addEventListener('change', () => {
    const file = ui.upload.files?.[0];
    if (file) void onUpload(file);
  });
}

function status(): PlaygroundStatus {
  const p = state.progress;
  const c = state.checks[state.checks.length - 1];
  const t = state.timeline;
  return {
    phase: state.phase,
    backend: state.backend,
    model: state.model ?? currentModel(),
    hyper: state.hyper ?? MODELS[currentModel()].defaults,
    iteration: p?.iteration ?? 0,
    examplesSeen: p?.examplesSeen ?? 0,
    epoch: p?.epoch ?? 0,
    progressText: progressText(),
    losses: [...state.losses],
    checks: [...state.checks],
    trainAcc: state.checks.map((x) => x.trainAcc),
    valAcc: state.checks.map((x) => x.valAcc),
    timeline: { points: t.losses.length, lastX: t.last, checks: t.checks.length, events: [...t.events] },
    initialLoss: p?.initialLoss ?? null,
    overfitting: c !== undefined && c.trainAcc - c.valAcc > OVERFIT_GAP,
    examplesPerSecond: p?.examplesPerSecond ?? 0,
    numTensors: p?.numTensors ?? 0,
    heldTensors: p?.heldTensors ?? 0,
    memory: [...(p?.memory ?? [])],
    paramSums: { ...state.paramSums },
    slowRedraws: state.slowRedraws,
    saliencyShown: state.saliencyShown,
    layers: [...state.layers],
    gradCheck: state.gradCheck,
    gradChecks: state.gradChecks,
    confusion: state.confusion,
    upload: state.upload,
    error: state.error,
    refusal: state.refusal,
    notices: [...state.notices],
    dataSource: state.dataSource,
    gflops: state.gflops,
    url: location.search,
    learnerPieces: __LEARNER_PIECES__?.files ?? [],
  };
}

function main(): void {
  (window as unknown as { __playground: { status: () => PlaygroundStatus } }).__playground = { status };
  window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${String((e.reason as Error)?.message ?? e.reason)}`));
  for (const name of MODEL_NAMES) ui.model.add(new Option(MODELS[name].label, name));
  for (const rule of UPDATE_RULE_NAMES) ui.updateRule.add(new Option(rule, rule));
  for (const line of initial.refused) showNotice(line);
  const pieces = __LEARNER_PIECES__;
  if (pieces) {
    ui.impl.hidden = false;
    ui.impl.textContent =
      pieces.files.length === 0
        ? `Built with --impl exercises, but the workspace ${pieces.dir} holds none of the library's files: the page trains the library's code.`
        : `Your code: the page trains your workspace's ${pieces.files.join(', ')} (from ${pieces.dir}) in place of the library's; the rest is the library's.`;
  }
  ui.model.value = initial.model;
  writeHyper(initial.hyper);
  ui.description.textContent = MODELS[initial.model].describe(initial.hyper);
  showArchitectureFields();
  if (initial.backend) ui.backendChoice.value = initial.backend;
  wireControls();
  setPhase('loading');
  redrawCharts();
  startWorker(initial.backend);
}

main();
