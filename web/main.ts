/**
 * The playground page's shell. The page's state and every change to it live in the state machine (machine.ts);
 * this file turns the learner's clicks and the worker's reports into the machine's messages (`dispatch`), carries
 * out the effects the machine asks for (post to the worker, start one, raise the pause flag, write the address,
 * save a file), and redraws the views (views/*.ts) from the state once a frame.
 *
 * Training runs in a Web Worker (worker.ts), which owns the backend, the data, the model and the Solver; no tensor
 * work runs here, so no setting can freeze the page and Pause always answers.
 *
 * For tests and the curious, `window.__playground.status()` returns what the page shows as plain data.
 */
import { pageHasWebgl, type BackendReport, type PageBackend } from './backend';
import { readUrlState, type NumericField } from './fields';
import type { GradCheckResult } from './gradient_check';
import { init, STRIP_SIZE, update, type Effect, type Msg, type PageState, type Phase } from './machine';
import { modelFileName, readModelFiles, writeModelFiles } from './model_file';
import { isModelName, MODELS, type Hyperparameters, type ModelName } from './models';
import type { FromWorker } from './protocol';
import type { Babysit } from './babysit';
import type { AccuracyCheck, MemoryRecord } from './trainer';
import { messageLine, controls, renderControls, setUpControls } from './views/controls';
import { renderConfusion } from './views/confusion';
import { byId } from './views/dom';
import { gradcheckRequest, gradcheckUi, renderGradcheck } from './views/gradcheck';
import { renderHealth } from './views/health';
import { layerSummary, renderLayers, type LayerSummary } from './views/layers';
import { logScale, OVERFIT_GAP, progressText, rateText, renderCharts, renderStatus } from './views/status';
import { readUpload, renderUpload, uploadUi } from './views/upload';

/** Set by the build (web/build.ts): which library files the learner's workspace replaced, or null. */
declare const __LEARNER_PIECES__: { dir: string; files: string[] } | null;

/** What `window.__playground.status()` returns. */
export interface PlaygroundStatus {
  phase: Phase;
  pausing: boolean;
  backend: BackendReport | null;
  model: ModelName;
  hyper: Hyperparameters;
  /** Whether a model exists (a refused first model leaves none). */
  haveModel: boolean;
  /** The model of `npm run train` being explored (phase exploring), or null. */
  explore: { kind: string; description: string; line: string } | null;
  buttons: { start: boolean; pause: boolean; newWeights: boolean; gradcheck: boolean; upload: boolean; save: boolean };
  iteration: number;
  examplesSeen: number;
  epoch: number;
  progressText: string;
  rateText: string;
  losses: number[];
  checks: AccuracyCheck[];
  trainAcc: number[];
  valAcc: number[];
  timeline: { points: number; lastX: number; checks: number; events: { x: number; text: string }[]; starts: number[] };
  initialLoss: number | null;
  overfitting: boolean;
  examplesPerSecond: number;
  numTensors: number;
  heldTensors: number;
  memory: MemoryRecord[];
  paramSums: Record<string, number>;
  slowRedraws: number;
  saliencyShown: boolean;
  layers: LayerSummary[];
  gradCheck: GradCheckResult | null;
  gradChecks: number;
  confusion: number[][] | null;
  upload: { top: string | null; probs: number[]; iteration: number; refusal: string | null } | null;
  babysit: Babysit | null;
  error: string | null;
  refusal: string | null;
  /** The message line as shown (a failure, a stop or a refusal). */
  message: string | null;
  notices: string[];
  fileNote: string | null;
  dataSource: string | null;
  gflops: number;
  url: string;
  learnerPieces: string[];
}

const url = readUrlState(location.search);
let state: PageState;
let worker: Worker | null = null;
/** The shared pause flag (protocol.ts), where the page is cross-origin isolated. */
const pauseFlag = self.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
/** The upload's latest answer's iteration, for status(). */
let uploadIteration = 0;

function dispatch(msg: Msg): void {
  const step = update(state, msg);
  state = step.state;
  if (msg.type === 'worker' && msg.msg.type === 'uploaded') uploadIteration = state.progress?.iteration ?? 0;
  for (const e of step.effects) run(e);
  // Training reports come many times a second: drawn once a frame. Anything else (a click, a refusal, a result)
  // is drawn at once, so that what status() says is already on the page.
  if (msg.type === 'worker' && (msg.msg.type === 'progress' || msg.msg.type === 'slow')) scheduleRender();
  else render();
}

function run(e: Effect): void {
  switch (e.type) {
    case 'send':
      worker?.postMessage(e.msg);
      return;
    case 'startWorker':
      startWorker(e.backend);
      return;
    case 'pauseFlag':
      if (pauseFlag) Atomics.store(pauseFlag, 0, 1);
      return;
    case 'url':
      history.replaceState(null, '', e.query);
      return;
    case 'download': {
      const { manifest, weights } = writeModelFiles(e.weights);
      void weights.then((w) => {
        const base = modelFileName(e.weights);
        offerDownload(`${base}.json`, manifest(w.sha256), 'application/json');
        offerDownload(`${base}.bin`, w.bytes, 'application/octet-stream');
      });
      return;
    }
  }
}

function offerDownload(name: string, data: string | Uint8Array, type: string): void {
  const blob = new Blob([data as BlobPart], { type });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function startWorker(backend: PageBackend | null): void {
  worker?.terminate();
  const w = new Worker(new URL('worker.js', location.href), { type: 'module' });
  worker = w;
  w.onmessage = (e: MessageEvent<FromWorker>) => {
    if (w === worker) dispatch({ type: 'worker', msg: e.data });
  };
  w.onerror = (e) => {
    if (w === worker) crash(`The training worker failed: ${e.message || 'it could not start (see the console)'}`);
  };
  w.postMessage({
    type: 'init',
    backend: backend ?? 'webgl',
    explicit: backend !== null,
    wasmBase: new URL('wasm/', location.href).href,
    dataBase: new URL('data', location.href).href,
    maxTrain: state.session.train,
    maxVal: state.session.val,
    seed: state.session.seed,
    evalEvery: state.session.evalEvery,
    stripSize: STRIP_SIZE,
    control: pauseFlag,
    webgl: pageHasWebgl(),
  });
}

/** Something broke: the page says so, and so does the console. */
function crash(message: string): void {
  console.error(message);
  dispatch({ type: 'crash', message });
}

let renderPending = false;

/**
 * Redraws at most once a frame, however many reports arrive: the worker may report faster than the page can
 * draw, and a page that drew every report would fall behind its own messages.
 */
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  const draw = () => {
    renderPending = false;
    render();
  };
  // A hidden tab gets no animation frames; a timer keeps its numbers current.
  if (document.hidden) setTimeout(draw, 200);
  else requestAnimationFrame(draw);
}

function render(force = false): void {
  renderControls(state);
  renderStatus(state, force);
  renderHealth(state);
  renderLayers(state, (position) => dispatch({ type: 'inspect', position }), force);
  renderConfusion(state);
  renderGradcheck(state);
  renderUpload(state);
}

function wire(): void {
  const c = controls;
  c.start.addEventListener('click', () => dispatch({ type: 'start' }));
  c.pause.addEventListener('click', () => dispatch({ type: 'pause' }));
  c.reset.addEventListener('click', () => dispatch({ type: 'newWeights' }));
  c.model.addEventListener('change', () => {
    // The explored model's own entry (views/controls.ts) is not a page model to build.
    if (isModelName(c.model.value)) dispatch({ type: 'model', model: c.model.value });
  });
  c.updateRule.addEventListener('change', () => dispatch({ type: 'rule', rule: c.updateRule.value as Hyperparameters['updateRule'] }));
  for (const [field, input] of Object.entries(c.fields) as [NumericField, HTMLInputElement][]) {
    input.addEventListener('change', () => dispatch({ type: 'field', field, text: input.value }));
  }
  c.backendChoice.addEventListener('change', () => dispatch({ type: 'backend', backend: c.backendChoice.value as PageBackend }));
  c.save.addEventListener('click', () => dispatch({ type: 'save' }));
  c.load.addEventListener('change', () => {
    const files = Array.from(c.load.files ?? []);
    // The same files chosen again must load again: a file input fires no change for an unchanged choice.
    c.load.value = '';
    void readModelFiles(files).then((r) =>
      dispatch(
        'refusal' in r
          ? { type: 'loadRefused', message: r.refusal }
          : 'explore' in r
            ? { type: 'explore', name: r.name, model: r.explore }
            : { type: 'load', name: r.name, weights: r.weights },
      ),
    );
  });
  gradcheckUi.button.addEventListener('click', () => dispatch({ type: 'gradcheck', ...gradcheckRequest() }));
  uploadUi.input.addEventListener('change', () => {
    const file = uploadUi.input.files?.[0];
    // As for the model file: choosing the same image again is a new upload.
    uploadUi.input.value = '';
    if (!file) return;
    void readUpload(file).then((r) => dispatch('refusal' in r ? { type: 'uploadRefused', message: r.refusal } : { type: 'upload', name: file.name, pixels: r.pixels }));
  });
  logScale.addEventListener('change', () => renderCharts(state, true));
  // Charts and tiles are drawn at the canvas's CSS size: a turned phone or a resized window redraws them.
  window.addEventListener('resize', () => render(true));
}

function status(): PlaygroundStatus {
  const s = state;
  const p = s.progress;
  const c = s.checks[s.checks.length - 1];
  const t = s.timeline;
  const u = s.upload;
  let top: string | null = null;
  if (u?.probs) {
    let best = 0;
    for (let j = 1; j < u.probs.length; j++) if (u.probs[j] > u.probs[best]) best = j;
    top = s.classNames[best];
  }
  return {
    phase: s.phase,
    pausing: s.pausing,
    backend: s.backend,
    model: s.model?.name ?? s.fields.model,
    hyper: s.model?.hyper ?? MODELS[s.fields.model].defaults,
    haveModel: s.model !== null || s.explore !== null,
    explore: s.explore ? { kind: s.explore.model.kind, description: s.explore.model.description, line: controls.exploreNote.textContent ?? '' } : null,
    buttons: {
      start: !controls.start.disabled,
      pause: !controls.pause.disabled,
      newWeights: !controls.reset.disabled,
      gradcheck: !gradcheckUi.button.disabled,
      upload: !uploadUi.input.disabled,
      save: !controls.save.disabled,
    },
    iteration: p?.iteration ?? 0,
    examplesSeen: p?.examplesSeen ?? 0,
    epoch: p?.epoch ?? 0,
    progressText: progressText(s),
    rateText: rateText(s),
    losses: [...s.losses],
    checks: [...s.checks],
    trainAcc: s.checks.map((x) => x.trainAcc),
    valAcc: s.checks.map((x) => x.valAcc),
    timeline: { points: t.losses.length, lastX: t.last, checks: t.checks.length, events: [...t.events], starts: [...t.starts] },
    initialLoss: p?.initialLoss ?? null,
    overfitting: c !== undefined && c.trainAcc - c.valAcc > OVERFIT_GAP,
    examplesPerSecond: p?.examplesPerSecond ?? 0,
    numTensors: p?.numTensors ?? 0,
    heldTensors: p?.heldTensors ?? 0,
    memory: [...(p?.memory ?? [])],
    paramSums: { ...(s.slow?.paramSums ?? {}) },
    slowRedraws: s.slowReports,
    saliencyShown: s.inspected !== null,
    layers: layerSummary(),
    gradCheck: s.gradCheck.result,
    gradChecks: s.gradCheck.count,
    confusion: s.slow?.confusion ?? null,
    // An upload counts once it has an answer: its scores, or its refusal.
    upload: u && (u.probs || u.refusal) ? { top, probs: u.probs ? Array.from(u.probs) : [], iteration: uploadIteration, refusal: u.refusal } : null,
    babysit: s.slow?.babysit ?? null,
    error: s.error ?? s.stop?.message ?? null,
    refusal: s.refusal?.message ?? null,
    message: messageLine(s)?.text ?? null,
    notices: [...s.urlRefusals, ...(s.backendNotice ? [s.backendNotice] : [])],
    fileNote: s.fileNote,
    dataSource: s.dataSource,
    gflops: s.gflops,
    url: location.search,
    learnerPieces: __LEARNER_PIECES__?.files ?? [],
  };
}

function main(): void {
  (window as unknown as { __playground: { status: () => PlaygroundStatus } }).__playground = { status };
  window.addEventListener('error', (e) => crash(`Unexpected error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => crash(`Unexpected error: ${String((e.reason as Error)?.message ?? e.reason)}`));
  setUpControls();
  const pieces = __LEARNER_PIECES__;
  if (pieces) {
    const impl = byId<HTMLParagraphElement>('impl');
    impl.hidden = false;
    impl.textContent =
      pieces.files.length === 0
        ? `Built with --impl exercises, but the workspace ${pieces.dir} holds none of the library's files: the page trains the library's code.`
        : `Your code: the page trains your workspace's ${pieces.files.join(', ')} (from ${pieces.dir}) in place of the library's; the rest is the library's.`;
  }
  const first = init(url);
  state = first.state;
  wire();
  render();
  for (const e of first.effects) run(e);
}

main();
