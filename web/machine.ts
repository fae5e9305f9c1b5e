/**
 * The page as one state machine, in the Elm style: the page's whole state (`PageState`), the messages that change
 * it (`Msg`: the learner's clicks and edits, the training worker's reports), and one function,
 * `update(state, msg) -> { state, effects }`, the only place state changes. Effects (`Effect`) are what the page's
 * shell (main.ts) does for the machine: post a message to the worker, start a worker, raise the pause flag, write
 * the address, offer a file for download. The views (views/*.ts) draw from the state and keep no state of their own.
 * No DOM here, so specs drive the machine through whole sessions without a browser.
 *
 * Phases, and what moves between them:
 *
 *   loading --ready, built--> ready --Start--> training --Pause--> paused --Start--> training
 *   training --the loss diverged--> stopped --Start (new weights)--> training
 *   loading --the first model refused (a guard, a field)--> refused --a field fixed, New weights--> ready
 *   any --no backend, no data, a crash--> failed
 *   any --backend switch--> loading --built (weights carried)--> paused
 *   idle, training --a model of `npm run train` loaded--> exploring --a page model chosen or loaded--> ready
 *
 * `exploring` is a fixed, strong model (Airbench or ResNet, from `npm run train`'s checkpoint) shown in test mode:
 * saliency, confusion and upload predictions work; Start, New weights, the gradient check, Save and the fields do
 * not (EXPLORE_ONLY says why on the page). A backend switch carries it to the new worker as it is.
 *
 * A refused change with a model running keeps the phase (and the training going); only a refused first model,
 * where there is nothing to keep, is the phase `refused`.
 */
import type { UpdateRuleName } from '../src/optim';
import type { BackendReport, PageBackend } from './backend';
import {
  ARCHITECTURE_FIELDS,
  fieldTexts,
  readFields,
  urlQuery,
  type FieldTexts,
  type NumericField,
  type SessionSettings,
  type UrlState,
} from './fields';
import type { GradCheckMode, GradCheckResult } from './gradient_check';
import type { LayerRow } from './layer_view';
import { MODELS, type Hyperparameters, type ModelName } from './models';
import type { ExploreSnapshot, FromWorker, ProgressData, SlowData, StripData, ToWorker, WeightsSnapshot } from './protocol';
import type { Saliency } from './saliency';
import { describeChange, Timeline } from './timeline';
import type { AccuracyCheck } from './trainer';

export type Phase = 'loading' | 'ready' | 'training' | 'paused' | 'stopped' | 'refused' | 'failed' | 'exploring';

/** The line the page shows while it explores a model of `npm run train`. */
export const EXPLORE_ONLY =
  'Explore only: this model was trained by npm run train, so Start, New weights, the gradient check and the fields are off ' +
  '(the page trains its own models only); pick a page model above to train. Its accuracy here is on the page\'s validation ' +
  'images, which are among the 49,000 it trained on.';

/** Validation images in the strip. */
export const STRIP_SIZE = 8;

/** A request sent to the worker and not yet answered; the worker answers in order. */
type Request =
  | { kind: 'build'; origin: 'fresh' | 'switch' | 'file'; mark: string | null; startAfter: boolean }
  | { kind: 'live'; mark: string }
  | { kind: 'explore'; name: string; model: ExploreSnapshot };

export interface UploadState {
  name: string;
  /** 32x32 RGB bytes, NHWC; null when the upload was refused. */
  pixels: Uint8Array | null;
  probs: Float32Array | null;
  saliency: Saliency | null;
  refusal: string | null;
  /** Whether an answer is awaited (new scores are asked for as the model trains, one request at a time). */
  asked: boolean;
}

export interface Inspected {
  position: number;
  index: number;
  label: number;
  saliency: Saliency;
  layers: LayerRow[];
  loss: number;
}

export interface PageState {
  phase: Phase;
  /** Pause asked, not yet answered by the worker. */
  pausing: boolean;
  fields: FieldTexts;
  /** The backend the learner chose (null: the page picks). */
  backendChoice: PageBackend | null;
  session: SessionSettings;
  backend: BackendReport | null;
  classNames: string[];
  strip: StripData | null;
  dataSource: string | null;
  gflops: number;
  numTrain: number;
  /** Images in the fixed accuracy subsets of the current model. */
  evalSizes: { train: number; val: number } | null;
  /** The page model the worker runs, or null (none yet, or a model of `npm run train` explored). */
  model: { name: ModelName; hyper: Hyperparameters } | null;
  /** The model of `npm run train` the worker runs (phase exploring), its file's name and contents, or null. */
  explore: { name: string; model: ExploreSnapshot } | null;
  /** Weights drawn so far: the next fresh model's seed is session.seed + builds, so New weights gives new ones. */
  builds: number;
  requests: Request[];
  /** A backend switch under way: its marker and the weights it carries. */
  switching: { to: PageBackend; text: string; weights: WeightsSnapshot | null } | null;
  /** A refused change (a field, a guard): one line; the field it names is marked. */
  refusal: { message: string; field: NumericField | null } | null;
  /** Why training stopped by itself, and the loss that stopped it. */
  stop: { message: string; loss: number | null } | null;
  /** What stops the page (no backend, no data, a crash). */
  error: string | null;
  /** Lines about the address and the backend. */
  urlRefusals: string[];
  backendNotice: string | null;
  progress: ProgressData | null;
  /** The current model's minibatch losses, by its iteration - 1. */
  losses: number[];
  checks: AccuracyCheck[];
  /** The session's record across models (append-only). */
  timeline: Timeline;
  slow: SlowData | null;
  slowReports: number;
  selected: number;
  /** Whether the learner asked for the layer view (it then follows the training). */
  inspecting: boolean;
  inspected: Inspected | null;
  gradCheck: { pending: boolean; result: GradCheckResult | null; error: string | null; iteration: number; count: number };
  upload: UploadState | null;
  /** A line about the last save or load. */
  fileNote: string | null;
}

export type Msg =
  | { type: 'field'; field: NumericField; text: string }
  | { type: 'rule'; rule: UpdateRuleName }
  | { type: 'model'; model: ModelName }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'newWeights' }
  | { type: 'backend'; backend: PageBackend }
  | { type: 'inspect'; position: number }
  | { type: 'gradcheck'; mode: GradCheckMode; plant: boolean }
  | { type: 'upload'; name: string; pixels: Uint8Array }
  | { type: 'uploadRefused'; message: string }
  | { type: 'save' }
  | { type: 'load'; name: string; weights: WeightsSnapshot }
  | { type: 'loadRefused'; message: string }
  /** A model of `npm run train` read from its files (model_file.ts), to explore. */
  | { type: 'explore'; name: string; model: ExploreSnapshot }
  | { type: 'worker'; msg: FromWorker }
  | { type: 'crash'; message: string };

export type Effect =
  | { type: 'send'; msg: ToWorker }
  | { type: 'startWorker'; backend: PageBackend | null }
  | { type: 'pauseFlag' }
  | { type: 'url'; query: string }
  | { type: 'download'; weights: WeightsSnapshot };

export interface Step {
  state: PageState;
  effects: Effect[];
}

/** The state before the worker says anything, and the effects that start it. */
export function init(url: UrlState): Step {
  const state: PageState = {
    phase: 'loading',
    pausing: false,
    fields: fieldTexts(url.model, url.hyper),
    backendChoice: url.backend,
    session: url.session,
    backend: null,
    classNames: [],
    strip: null,
    dataSource: null,
    gflops: 0,
    numTrain: 0,
    evalSizes: null,
    model: null,
    explore: null,
    builds: 0,
    requests: [],
    switching: null,
    refusal: null,
    stop: null,
    error: null,
    urlRefusals: url.refused,
    backendNotice: null,
    progress: null,
    losses: [],
    checks: [],
    timeline: new Timeline(),
    slow: null,
    slowReports: 0,
    selected: 0,
    inspecting: false,
    inspected: null,
    gradCheck: { pending: false, result: null, error: null, iteration: 0, count: 0 },
    upload: null,
    fileNote: null,
  };
  return { state, effects: [{ type: 'startWorker', backend: url.backend }] };
}

/** What the controls may do in a state: the views enable buttons from this, and update obeys it. */
export function can(s: PageState): {
  start: boolean;
  pause: boolean;
  newWeights: boolean;
  inspect: boolean;
  gradcheck: boolean;
  edit: boolean;
  save: boolean;
  load: boolean;
  backend: boolean;
} {
  const haveModel = s.model !== null;
  const idle = s.phase === 'ready' || s.phase === 'paused' || s.phase === 'stopped';
  const exploring = s.phase === 'exploring';
  const inspect = (haveModel || (exploring && s.explore !== null)) && s.phase !== 'loading' && s.phase !== 'failed';
  return {
    start: haveModel && idle,
    pause: s.phase === 'training' && !s.pausing,
    newWeights: s.classNames.length > 0 && s.phase !== 'loading' && s.phase !== 'failed' && !exploring,
    inspect,
    gradcheck: inspect && !exploring && !s.gradCheck.pending,
    // The fields (settings and architecture); the model select stays, as the way back to a page model.
    edit: !exploring,
    save: haveModel && s.phase !== 'loading' && s.phase !== 'failed' && s.phase !== 'training' && !exploring,
    load: s.classNames.length > 0 && s.phase !== 'loading' && s.phase !== 'failed',
    backend: s.phase !== 'loading',
  };
}

const MODEL_LABEL = (name: ModelName) => MODELS[name].label;

function fmtNum(v: number): string {
  return v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4) ? v.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e') : String(v);
}

/** The settings as the markers name them. */
export function named(model: ModelName, h: Hyperparameters): Record<string, string> {
  const uses: readonly string[] = MODELS[model].uses;
  const out: Record<string, string> = { lr: fmtNum(h.learningRate), reg: fmtNum(h.reg), rule: h.updateRule, batch: String(h.batchSize) };
  if (uses.includes('hiddenDim')) out.hidden = String(h.hiddenDim);
  if (uses.includes('numFilters')) out.filters = String(h.numFilters);
  if (uses.includes('filterSize')) out['filter size'] = String(h.filterSize);
  return out;
}

export function describeModel(model: ModelName, h: Hyperparameters): string {
  const uses: readonly string[] = MODELS[model].uses;
  const parts = [MODEL_LABEL(model)];
  if (uses.includes('numFilters')) parts.push(`${h.numFilters} filters ${h.filterSize}x${h.filterSize}`);
  if (uses.includes('hiddenDim')) parts.push(`${h.hiddenDim} hidden`);
  return parts.join(', ');
}

/** The address for a state: the running model's settings, or the fields' where they parse. */
function urlEffect(s: PageState): Effect {
  const parsed = readFields(s.fields);
  const hyper = parsed.ok ? parsed.hyper : (s.model?.hyper ?? MODELS[s.fields.model].defaults);
  return { type: 'url', query: urlQuery(parsed.ok ? s.fields.model : (s.model?.name ?? s.fields.model), hyper, s.backendChoice, s.session) };
}

/** Whether the fields ask for the architecture the worker already runs (then no new weights are needed). */
function sameArchitecture(s: PageState, hyper: Hyperparameters): boolean {
  const m = s.model;
  if (!m || m.name !== s.fields.model) return false;
  const uses: readonly string[] = MODELS[m.name].uses;
  return ARCHITECTURE_FIELDS.every((f) => !uses.includes(f) || m.hyper[f] === hyper[f]);
}

/** Asks for new weights from the fields; a field that does not parse is refused here, before the worker. */
function requestBuild(s: PageState, mark: string | null, startAfter = false): Step {
  const parsed = readFields(s.fields);
  if (!parsed.ok) return refuse(s, `Cannot build the ${MODEL_LABEL(s.fields.model)}: ${parsed.message}`, parsed.field);
  const req: Request = { kind: 'build', origin: 'fresh', mark, startAfter };
  const next: PageState = { ...s, refusal: null, requests: [...s.requests, req] };
  return {
    state: next,
    effects: [{ type: 'send', msg: { type: 'build', model: s.fields.model, hyper: parsed.hyper, seed: s.session.seed + s.builds } }, urlEffect(next)],
  };
}

/** Asks the worker to run a model of `npm run train` (training, if any, pauses first). note: the file line, or null. */
function exploreRequest(s: PageState, name: string, model: ExploreSnapshot, note: string | null): Step {
  const paused = pause(s);
  const req: Request = { kind: 'explore', name, model };
  return {
    state: { ...paused.state, fileNote: note ?? paused.state.fileNote, requests: [...paused.state.requests, req] },
    effects: [...paused.effects, { type: 'send', msg: { type: 'explore', model } }],
  };
}

/**
 * A refusal: with a model, it is kept and so is the phase (`kept` says what happens instead); with none, the page
 * is in the phase `refused` and the line says how to go on.
 */
function refuse(s: PageState, message: string, field: NumericField | null, kept = 'The current model is kept.'): Step {
  const line =
    s.model !== null
      ? `${message}. ${kept}`
      : `${message}. There is no model yet: change ${field ? 'that field' : 'the fields'} and the page builds it (New weights tries again).`;
  return { state: { ...s, refusal: { message: line, field }, phase: s.model === null && s.phase !== 'loading' ? 'refused' : s.phase }, effects: [] };
}

/** A live field changed: the running model takes it and keeps its weights. */
function changeLive(s: PageState, hyper: Hyperparameters): Step {
  const m = s.model;
  if (!m) return requestBuild(s, null);
  const live: Hyperparameters = { ...m.hyper, learningRate: hyper.learningRate, reg: hyper.reg, updateRule: hyper.updateRule, batchSize: hyper.batchSize };
  // What the worker will run once the live changes already sent are taken.
  let text = describeChange(named(m.name, m.hyper), named(m.name, live));
  const cleared: PageState = { ...s, refusal: null };
  if (!text) return { state: cleared, effects: [urlEffect(cleared)] };
  if (live.updateRule !== m.hyper.updateRule) {
    text += ` (${live.updateRule === 'sgd' ? 'sgd keeps no state' : `${live.updateRule}'s ${live.updateRule === 'sgd_momentum' ? 'velocity starts' : 'moments start'} from zero`})`;
  }
  const next: PageState = { ...cleared, model: { name: m.name, hyper: live }, requests: [...s.requests, { kind: 'live', mark: text }] };
  return { state: next, effects: [{ type: 'send', msg: { type: 'live', hyper: live } }, urlEffect(next)] };
}

function onField(s: PageState, fields: FieldTexts, architecture: boolean): Step {
  // An explored model takes no settings (the views disable the fields; a change that comes anyway is ignored).
  if (!can(s).edit) return { state: s, effects: [] };
  const withFields: PageState = { ...s, fields };
  if (s.phase === 'loading' || s.phase === 'failed') return { state: withFields, effects: [urlEffect(withFields)] };
  const parsed = readFields(fields);
  if (!parsed.ok) {
    if (s.model && !(ARCHITECTURE_FIELDS as readonly string[]).includes(parsed.field)) {
      return refuse(withFields, parsed.message, parsed.field, 'Training goes on with the last good values.');
    }
    return refuse(withFields, `Cannot build the ${MODEL_LABEL(fields.model)}: ${parsed.message}`, parsed.field);
  }
  if (!s.model) return requestBuild(withFields, null);
  if (architecture && !sameArchitecture(withFields, parsed.hyper)) return requestBuild(withFields, null);
  // The architecture is the running model's (a refused value put back, or a live field): no new weights.
  return changeLive(withFields, parsed.hyper);
}

function start(s: PageState): Step {
  if (!can(s).start) return { state: s, effects: [] };
  if (s.phase === 'stopped') {
    // Diverged weights teach nothing more: new ones, the curves kept, then training.
    return requestBuild(s, `new weights after the stop: ${MODEL_LABEL(s.fields.model)}`, true);
  }
  return { state: { ...s, phase: 'training', pausing: false }, effects: [{ type: 'send', msg: { type: 'start' } }] };
}

function pause(s: PageState): Step {
  if (s.phase !== 'training' || s.pausing) return { state: s, effects: [] };
  return { state: { ...s, pausing: true }, effects: [{ type: 'pauseFlag' }, { type: 'send', msg: { type: 'pause' } }] };
}

function switchBackend(s: PageState, to: PageBackend): Step {
  if (!can(s).backend) return { state: s, effects: [] };
  const from = s.backend?.name ?? 'none';
  const paused = pause(s);
  const next: PageState = {
    ...paused.state,
    backendChoice: to,
    phase: 'loading',
    pausing: false,
    switching: { to, text: `backend ${from} -> ${to} (update-rule state restarts)`, weights: null },
  };
  const effects: Effect[] = [...paused.effects, urlEffect(next)];
  if (s.model) effects.push({ type: 'send', msg: { type: 'export', purpose: 'switch' } });
  else effects.push({ type: 'startWorker', backend: to });
  return { state: next, effects };
}

/** Adds a progress report's losses and checks to the record. */
function withProgress(s: PageState, p: ProgressData): PageState {
  const losses = [...s.losses];
  for (const [it, loss] of p.newLosses) {
    losses[it - 1] = loss;
    s.timeline.addLoss(it, loss);
  }
  for (const c of p.newChecks) s.timeline.addCheck(c.iteration, c.trainAcc, c.valAcc);
  const next: PageState = { ...s, progress: p, losses, checks: [...s.checks, ...p.newChecks] };
  if (s.pausing && p.phase !== 'running') return { ...next, pausing: false, phase: 'paused' };
  return next;
}

/** Follow-up asks after the weights changed: the layer view and the upload's scores follow the training. */
function followUps(s: PageState): { state: PageState; effects: Effect[] } {
  const effects: Effect[] = [];
  let state = s;
  if (s.inspecting) effects.push({ type: 'send', msg: { type: 'inspect', position: s.selected } });
  if (s.upload?.pixels && !s.upload.asked) {
    state = { ...state, upload: { ...s.upload, asked: true } };
    effects.push({ type: 'send', msg: { type: 'upload', pixels: s.upload.pixels } });
  }
  return { state, effects };
}

function onWorker(s: PageState, m: FromWorker): Step {
  switch (m.type) {
    case 'ready': {
      const b = m.backend;
      const backendNotice = b.skippedSoftwareWebgl
        ? `No GPU here (WebGL runs in software), so the page trains on ${b.name}, about 14 times faster.`
        : b.failures.length > 0
          ? `${b.requested} is not available here, so training runs on ${b.name}: ${b.failures.join('; ')}`
          : b.software
            ? `WebGL runs in software here (${b.renderer}): no GPU, so it is about 14 times slower than wasm; pick wasm above for speed.`
            : null;
      const next: PageState = {
        ...s,
        backend: b,
        classNames: m.classNames,
        strip: m.strip,
        dataSource: m.source,
        gflops: m.gflops,
        numTrain: m.numTrain,
        backendNotice,
        // After a switch the carried model is not there until it is built on the new backend.
        phase: s.switching ? 'loading' : 'ready',
      };
      const sw = s.switching;
      if (sw) {
        next.timeline.mark(s.progress?.iteration ?? 0, sw.text);
        const after: PageState = { ...next, switching: null };
        if (s.explore) return exploreRequest(after, s.explore.name, s.explore.model, null);
        if (sw.weights) {
          const w = sw.weights;
          const req: Request = { kind: 'build', origin: 'switch', mark: null, startAfter: false };
          return {
            state: { ...after, requests: [...after.requests, req] },
            effects: [{ type: 'send', msg: { type: 'build', model: w.model, hyper: w.hyper, seed: s.session.seed + Math.max(0, s.builds - 1), weights: w } }],
          };
        }
        return requestBuild(after, null);
      }
      return requestBuild(next, null);
    }
    case 'failed':
      return {
        state: { ...s, phase: 'failed', error: m.stage === 'backend' ? `No TensorFlow.js backend could start: ${m.message}` : `No data: ${m.message}` },
        effects: [],
      };
    case 'built': {
      const [head, ...rest] = s.requests;
      const req = head?.kind === 'build' ? head : { kind: 'build' as const, origin: 'fresh' as const, mark: null, startAfter: false };
      const continues = req.origin === 'switch';
      if (!continues) {
        s.timeline.newModel();
        const mark =
          req.origin === 'file' ? req.mark : s.model !== null || s.stop !== null ? (req.mark ?? `new weights: ${describeModel(m.model, m.hyper)}`) : null;
        if (mark) s.timeline.mark(0, mark);
      }
      let next: PageState = {
        ...s,
        requests: head?.kind === 'build' ? rest : s.requests,
        model: { name: m.model, hyper: m.hyper },
        explore: null,
        evalSizes: m.evalSizes,
        builds: req.origin === 'fresh' ? s.builds + 1 : s.builds,
        losses: continues ? s.losses : [],
        checks: continues ? s.checks : [],
        stop: null,
        refusal: null,
        fileNote: req.origin === 'file' ? req.mark : s.fileNote,
        gradCheck: { ...s.gradCheck, result: null, error: null },
        phase: m.progress.iteration > 0 ? 'paused' : 'ready',
        pausing: false,
        // A model carried over or loaded: the fields show what it is. Otherwise they were the request, and the
        // learner may have typed on since it was sent.
        fields: req.origin === 'fresh' ? s.fields : fieldTexts(m.model, m.hyper),
      };
      next = withProgress(next, m.progress);
      next = { ...next, slow: m.slow, slowReports: s.slowReports + 1 };
      const effects: Effect[] = [urlEffect(next)];
      if (req.startAfter) {
        next = { ...next, phase: 'training' };
        effects.push({ type: 'send', msg: { type: 'start' } });
      }
      // The layer view shows the new model's first validation image (or the one chosen).
      next = { ...next, inspecting: true };
      if (next.upload) next = { ...next, upload: { ...next.upload, asked: false } };
      const f = followUps(next);
      return { state: f.state, effects: [...effects, ...f.effects] };
    }
    case 'explored': {
      const [head, ...rest] = s.requests;
      if (head?.kind !== 'explore') return { state: s, effects: [] };
      const again = s.explore !== null && s.explore.model === head.model;
      if (!again) {
        s.timeline.newModel();
        s.timeline.mark(0, `loaded ${head.name}: ${head.model.description} (explore only)`);
      }
      let next: PageState = {
        ...s,
        requests: rest,
        model: null,
        explore: { name: head.name, model: head.model },
        evalSizes: m.evalSizes,
        losses: [],
        checks: [],
        stop: null,
        refusal: null,
        fileNote: `loaded ${head.name}`,
        gradCheck: { ...s.gradCheck, pending: false, result: null, error: null },
        phase: 'exploring',
        pausing: false,
      };
      next = withProgress(next, m.progress);
      // The last model's saliency is not this one's: the layer view asks again (followUps).
      next = { ...next, slow: m.slow, slowReports: s.slowReports + 1, inspecting: true, inspected: null };
      if (next.upload) next = { ...next, upload: { ...next.upload, asked: false } };
      return followUps(next);
    }
    case 'refused': {
      const [head, ...rest] = s.requests;
      let next: PageState = { ...s, requests: rest };
      if (head?.kind === 'live' && s.model) {
        // The worker keeps the settings it had: ask for them (it says in live-done) by undoing locally.
        next = { ...next, model: { ...s.model, hyper: m.hyper ?? s.model.hyper } };
      }
      if (head?.kind === 'build' && head.origin === 'switch') {
        // The new backend refuses the carried model (slower, or with less memory): there is none now.
        next = { ...next, model: null, phase: 'refused' };
      }
      if (s.phase === 'loading' && s.model === null) next = { ...next, phase: 'refused' };
      if (head?.kind === 'build' && head.origin === 'file') next = { ...next, fileNote: `Cannot load the model: ${m.message}` };
      if (head?.kind === 'explore') {
        next = { ...next, fileNote: `Cannot load the model: ${m.message}` };
        // After a backend switch the explored model was the one there was: there is none now.
        if (s.phase === 'loading' && s.model === null) next = { ...next, explore: null };
      }
      const r = refuse(next, m.message, null);
      return { state: r.state, effects: [urlEffect(r.state)] };
    }
    case 'live-done': {
      const [head, ...rest] = s.requests;
      let next: PageState = { ...s, requests: head?.kind === 'live' ? rest : s.requests };
      if (head?.kind === 'live') s.timeline.mark(m.progress.iteration, head.mark);
      if (s.model) next = { ...next, model: { ...s.model, hyper: rest.some((r) => r.kind === 'live') ? s.model.hyper : m.hyper } };
      next = withProgress(next, m.progress);
      next = { ...next, slow: s.slow ? { ...s.slow, paramSums: m.paramSums } : s.slow };
      return { state: next, effects: [] };
    }
    case 'progress':
      return { state: withProgress(s, m.progress), effects: [] };
    case 'slow': {
      const f = followUps({ ...s, slow: m.slow, slowReports: s.slowReports + 1 });
      return f;
    }
    case 'stopped': {
      const next = withProgress(s, m.progress);
      next.timeline.mark(m.progress.iteration, 'stopped: diverged');
      return { state: { ...next, phase: 'stopped', pausing: false, stop: { message: m.message, loss: m.loss } }, effects: [] };
    }
    case 'inspected':
      return { state: { ...s, inspected: { position: m.position, index: m.index, label: m.label, saliency: m.saliency, layers: m.layers, loss: m.loss } }, effects: [] };
    case 'gradcheck':
      return {
        state: {
          ...s,
          gradCheck: {
            pending: false,
            result: m.result,
            error: m.result ? null : (m.error ?? 'no result'),
            iteration: s.progress?.iteration ?? 0,
            count: s.gradCheck.count + (m.result ? 1 : 0),
          },
        },
        effects: [],
      };
    case 'uploaded':
      if (!s.upload?.pixels) return { state: s, effects: [] };
      return { state: { ...s, upload: { ...s.upload, probs: m.probs, saliency: m.saliency, asked: false } }, effects: [] };
    case 'exported': {
      if (m.purpose === 'switch' && s.switching) {
        return { state: { ...s, switching: { ...s.switching, weights: m.weights } }, effects: [{ type: 'startWorker', backend: s.switching.to }] };
      }
      if (m.purpose === 'save' && m.weights) return { state: { ...s, fileNote: null }, effects: [{ type: 'download', weights: m.weights }] };
      return { state: s, effects: [] };
    }
    case 'error':
      return { state: { ...s, phase: 'failed', error: `The training worker: ${m.message}` }, effects: [] };
  }
}

/** The one place the page's state changes. */
export function update(s: PageState, msg: Msg): Step {
  switch (msg.type) {
    case 'field': {
      const fields: FieldTexts = { ...s.fields, text: { ...s.fields.text, [msg.field]: msg.text } };
      return onField(s, fields, (ARCHITECTURE_FIELDS as readonly string[]).includes(msg.field));
    }
    case 'rule': {
      // Each rule starts at its own rate (models.ts): carrying adam's rate over to rmsprop diverges.
      const rate = msg.rule !== s.fields.updateRule ? String(MODELS[s.fields.model].rates[msg.rule]) : s.fields.text.learningRate;
      return onField(s, { ...s.fields, updateRule: msg.rule, text: { ...s.fields.text, learningRate: rate } }, false);
    }
    case 'model': {
      const fields = fieldTexts(msg.model, MODELS[msg.model].defaults);
      const next: PageState = { ...s, fields };
      if (s.phase === 'loading' || s.phase === 'failed') return { state: next, effects: [urlEffect(next)] };
      return requestBuild(next, null);
    }
    case 'start':
      return start(s);
    case 'pause':
      return pause(s);
    case 'newWeights':
      if (!can(s).newWeights) return { state: s, effects: [] };
      return requestBuild(s, `new weights: ${MODEL_LABEL(s.fields.model)}`);
    case 'backend':
      return switchBackend(s, msg.backend);
    case 'inspect':
      if (!can(s).inspect) return { state: s, effects: [] };
      return { state: { ...s, selected: msg.position, inspecting: true }, effects: [{ type: 'send', msg: { type: 'inspect', position: msg.position } }] };
    case 'gradcheck':
      if (!can(s).gradcheck) return { state: s, effects: [] };
      return { state: { ...s, gradCheck: { ...s.gradCheck, pending: true, error: null } }, effects: [{ type: 'send', msg: { type: 'gradcheck', mode: msg.mode, plant: msg.plant } }] };
    case 'upload': {
      const upload: UploadState = { name: msg.name, pixels: msg.pixels, probs: null, saliency: null, refusal: null, asked: can(s).inspect };
      return { state: { ...s, upload }, effects: upload.asked ? [{ type: 'send', msg: { type: 'upload', pixels: msg.pixels } }] : [] };
    }
    case 'uploadRefused':
      // The previous image and its scores go: a refusal beside them would read as theirs.
      return { state: { ...s, upload: { name: '', pixels: null, probs: null, saliency: null, refusal: msg.message, asked: false } }, effects: [] };
    case 'save':
      if (!can(s).save) return { state: s, effects: [] };
      return { state: { ...s, fileNote: 'Saving…' }, effects: [{ type: 'send', msg: { type: 'export', purpose: 'save' } }] };
    case 'load': {
      if (!can(s).load) return { state: s, effects: [] };
      const w = msg.weights;
      const req: Request = { kind: 'build', origin: 'file', mark: `loaded ${msg.name}: ${describeModel(w.model, w.hyper)}`, startAfter: false };
      const paused = pause(s);
      return {
        state: { ...paused.state, fileNote: `Loading ${msg.name}…`, requests: [...s.requests, req] },
        effects: [...paused.effects, { type: 'send', msg: { type: 'build', model: w.model, hyper: w.hyper, seed: s.session.seed, weights: w } }],
      };
    }
    case 'loadRefused':
      return { state: { ...s, fileNote: msg.message }, effects: [] };
    case 'explore':
      if (!can(s).load) return { state: s, effects: [] };
      return exploreRequest(s, msg.name, msg.model, `Loading ${msg.name}…`);
    case 'worker':
      return onWorker(s, msg.msg);
    case 'crash':
      return { state: { ...s, phase: 'failed', error: msg.message }, effects: [] };
  }
}
