/**
 * The checkpoint manifest's schema, and its validation: a manifest is a file from outside, so nothing is built
 * from it (no tensor, no model, no Solver) until every field has been checked here. Counts and sizes are bounded
 * (an epoch of 1e9 would make the Solver fork a generator a billion times; a shape of 1e12 would be allocated),
 * names are drawn from short safe alphabets and the model's own lists (a tensor named `__proto__` must never
 * reach an object), and the tensors must tile the weights file exactly, so the weights are only read once their
 * size is known to match.
 */
import { ALL_RULE_NAMES, ADAM_DEFAULTS, LOOKAHEAD_DEFAULTS, MOMENTUM_DEFAULTS, NESTEROV_DEFAULTS, RMSPROP_DEFAULTS, SGD_DEFAULTS } from '../src/optim';
import { checkSchedule, type LrSchedule } from './schedule';
import { modelOptionProblems } from './model_options';

export const CHECKPOINT_FORMAT = 'cs231n-tfjs-checkpoint';
/** The one version this code reads and writes: the weights file is named in the manifest, and the run recorded. */
export const CHECKPOINT_VERSION = 2;

/** The largest manifest read (histories of a long run are a few MB). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
/** The largest weights file read: a ResNet of the widest allowed width with its Adam state fits well below it. */
export const MAX_WEIGHTS_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/** Epochs a checkpoint may record (the course trains tens). */
export const MAX_EPOCH = 10_000;
/** Solver steps a checkpoint may record. */
export const MAX_ITERATION = 100_000_000;
/** Tensors one checkpoint may hold. */
export const MAX_TENSORS = 10_000;

export class CheckpointError extends Error {}

export type TensorGroup = 'params' | 'state' | 'best' | 'optim';
export type StoredDtype = 'float32' | 'int32';

export interface TensorEntry {
  group: TensorGroup;
  name: string;
  /** For group 'optim': which config field (velocity, cache, m, v). */
  field?: string;
  shape: number[];
  dtype: StoredDtype;
  offset: number;
  bytes: number;
}

/** In the manifest, a config field that is a tensor appears as this marker; the entry has group 'optim'. */
export interface TensorRef {
  tensor: true;
}

/** A model's kind (its class name) and constructor options, enough for a registry to rebuild it. */
export interface ModelSpec {
  kind: string;
  /** JSON-serialisable constructor options. */
  options?: unknown;
}

/** The Solver settings a resumed run needs to continue the same run. */
export interface SolverSettings {
  batchSize: number;
  numEpochs: number;
  lrDecay: number;
  /** The learning-rate schedule (runtime/schedule.ts), when the run had one. */
  lrSchedule?: LrSchedule;
  numTrainSamples: number | null;
  numValSamples: number | null;
  seed: number;
  /** Training examples the run trained on (its epochs are passes over them). */
  numTrain?: number;
}

/**
 * Which run a checkpoint belongs to: an id that a fresh run draws anew and a resumed run keeps, and whatever else
 * the run was started with that a resume must match (for example quick, seed and data sizes). JSON values only.
 */
export interface RunRecord {
  id: string;
  [key: string]: unknown;
}

/** How far training got: stored as they are in the manifest and returned as they are by loading. */
export interface TrainingProgress {
  /** Epochs completed. */
  epoch: number;
  /** Solver steps taken. */
  iteration: number;
  solver: SolverSettings | null;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
}

export interface Manifest extends TrainingProgress {
  format: string;
  version: number;
  byteOrder: 'little-endian';
  model: ModelSpec | null;
  run: RunRecord | null;
  optimizer: { updateRule: string; configs: Record<string, Record<string, number | TensorRef>> } | null;
  /** file: the weights file's name as saved, `<base>.<sha12>.bin`. */
  weights: { file?: string; bytes: number; sha256: string };
  tensors: TensorEntry[];
}

/**
 * Each update rule's config fields: its hyperparameters (numbers, src/optim's defaults) and its per-parameter
 * state (tensors). A config field outside these lists is refused.
 */
export const OPTIM_FIELDS: Readonly<Record<string, { numbers: readonly string[]; tensors: readonly string[] }>> = {
  sgd: { numbers: Object.keys(SGD_DEFAULTS), tensors: [] },
  sgd_momentum: { numbers: Object.keys(MOMENTUM_DEFAULTS), tensors: ['velocity'] },
  rmsprop: { numbers: Object.keys(RMSPROP_DEFAULTS), tensors: ['cache'] },
  adam: { numbers: Object.keys(ADAM_DEFAULTS), tensors: ['m', 'v'] },
  sgd_nesterov: { numbers: Object.keys(NESTEROV_DEFAULTS), tensors: ['velocity'] },
  sgd_nesterov_lookahead: { numbers: [...Object.keys(NESTEROV_DEFAULTS), ...Object.keys(LOOKAHEAD_DEFAULTS)], tensors: ['velocity', 'ema'] },
};

/**
 * The range of each update-rule number a manifest may hold, and the words that say it. A learning rate may be 0
 * (a one-cycle schedule ends there) but never negative; the betas, momentum and decay rate are fractions below 1
 * (at 1 or beyond the moments never forget, or grow without bound); epsilon keeps a division away from 0; t counts
 * Adam's steps.
 */
const OPTIM_NUMBER_RANGES: Readonly<Record<string, { ok: (v: number) => boolean; words: string }>> = {
  learningRate: { ok: (v) => v >= 0 && v <= 1e6, words: 'a number from 0 to 1e6' },
  momentum: { ok: (v) => v >= 0 && v < 1, words: 'a number in [0, 1)' },
  decayRate: { ok: (v) => v >= 0 && v < 1, words: 'a number in [0, 1)' },
  beta1: { ok: (v) => v >= 0 && v < 1, words: 'a number in [0, 1)' },
  beta2: { ok: (v) => v >= 0 && v < 1, words: 'a number in [0, 1)' },
  epsilon: { ok: (v) => v > 0 && v <= 1, words: 'a number above 0 and at most 1' },
  t: { ok: (v) => Number.isInteger(v) && v >= 0 && v <= MAX_ITERATION, words: `an integer from 0 to ${MAX_ITERATION}` },
};

/** Names of parameters, state and config fields: a letter, then letters, digits, '_', '.' or '-'. */
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** In group `best`, the names of the best epoch's model state start with this; the parameters' names never do. */
export const BEST_STATE_PREFIX = 'state/';
/** A tensor entry's name: NAME, or in group `best` also BEST_STATE_PREFIX + NAME. */
function validEntryName(group: unknown, name: string): boolean {
  if (group === 'best' && name.startsWith(BEST_STATE_PREFIX)) return NAME.test(name.slice(BEST_STATE_PREFIX.length));
  return NAME.test(name);
}
/** A model kind: a class name. */
const KIND = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Keys that, written into an ordinary object, change its prototype or shadow its machinery. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws a CheckpointError "loadCheckpoint: <where>: <what>". */
type Fail = (what: string) => never;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 80);
/** A name read from the file, its control characters escaped, for a message between quotes. */
const showName = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v).slice(1, -1).slice(0, 80) : show(v));

/** Refuses JSON nested deeper than 8 levels or holding an unsafe key anywhere (options and run records). */
function checkPlainJson(v: unknown, what: string, fail: Fail, depth = 0): void {
  if (depth > 8) fail(`${what} is nested more than 8 levels deep`);
  if (Array.isArray(v)) {
    for (const x of v) checkPlainJson(x, what, fail, depth + 1);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (UNSAFE_KEYS.has(k)) fail(`${what} holds the key '${k}', which no checkpoint writes`);
      checkPlainJson(x, `${what}.${k}`, fail, depth + 1);
    }
  }
}

function checkNumberArray(o: Record<string, unknown>, key: string, fail: Fail): void {
  const v = o[key];
  if (!Array.isArray(v) || v.length > MAX_ITERATION || !v.every(isFiniteNumber)) fail(`'${key}' must be an array of finite numbers`);
}

function checkModel(v: unknown, fail: Fail): void {
  if (v === null) return;
  if (!isObject(v) || typeof v.kind !== 'string' || !KIND.test(v.kind)) fail(`'model' must be null or { kind, options } with a class name as kind, got ${show(v)}`);
  const spec = v as Record<string, unknown>;
  checkPlainJson(spec.options, "'model.options'", fail);
  const problems = modelOptionProblems(spec.kind as string, spec.options);
  if (problems.length > 0) fail(`model options out of bounds: ${problems.join('; ')}`);
}

function checkRun(v: unknown, fail: Fail): void {
  if (v === null || v === undefined) return;
  if (!isObject(v) || typeof v.id !== 'string' || v.id.length === 0 || v.id.length > 200) fail(`'run' must be null or an object with a string 'id'`);
  checkPlainJson(v, "'run'", fail);
}

function checkSolver(v: unknown, fail: Fail): void {
  if (v === null || v === undefined) return;
  if (!isObject(v)) return fail(`'solver' must be null or an object, got ${show(v)}`);
  const int = (key: string, lo: number, hi: number, nullable = false, optional = false) => {
    const x = v[key];
    if ((nullable && x === null) || (optional && x === undefined)) return;
    if (!isInt(x, lo, hi)) fail(`'solver.${key}' must be ${nullable ? 'null or ' : ''}an integer from ${lo} to ${hi}, got ${show(x)}`);
  };
  int('batchSize', 1, 1_000_000);
  int('numEpochs', 1, MAX_EPOCH);
  int('numTrainSamples', 1, 100_000_000, true);
  int('numValSamples', 1, 100_000_000, true);
  int('seed', 0, 2 ** 32 - 1);
  int('numTrain', 1, 100_000_000, false, true);
  if (!isFiniteNumber(v.lrDecay) || !(v.lrDecay > 0 && v.lrDecay <= 1)) fail(`'solver.lrDecay' must be a number in (0, 1], got ${show(v.lrDecay)}`);
  if (v.lrSchedule !== undefined) {
    if (!isObject(v.lrSchedule)) fail(`'solver.lrSchedule' must be an object, got ${show(v.lrSchedule)}`);
    try {
      checkSchedule(v.lrSchedule as unknown as LrSchedule);
    } catch (err) {
      fail(`'solver.lrSchedule': ${(err as Error).message}`);
    }
  }
}

/** Checks each tensor entry's group, names, shape and dtype, and that they tile the weights file from byte 0. */
function checkTensors(v: unknown, weightsBytes: number, fail: Fail): TensorEntry[] {
  if (!Array.isArray(v) || v.length > MAX_TENSORS) return fail(`'tensors' must be an array of at most ${MAX_TENSORS} entries`);
  const seen = new Set<string>();
  let offset = 0;
  for (const [i, e] of v.entries()) {
    for (const key of ['name', 'field'] as const) {
      const name = isObject(e) ? e[key] : undefined;
      const valid = key === 'name' ? validEntryName(isObject(e) ? e.group : undefined, name as string) : NAME.test(name as string);
      if (typeof name === 'string' && !valid) {
        fail(`tensor entry ${i} has ${key} '${showName(name)}'; names are a letter, then letters, digits, '_', '.' or '-' (64 at most)`);
      }
    }
    const ok =
      isObject(e) &&
      ['params', 'state', 'best', 'optim'].includes(e.group as string) &&
      typeof e.name === 'string' &&
      validEntryName(e.group, e.name) &&
      (e.group === 'optim' ? typeof e.field === 'string' && NAME.test(e.field) : e.field === undefined) &&
      Array.isArray(e.shape) &&
      e.shape.length <= 8 &&
      e.shape.every((s) => isInt(s, 0, MAX_WEIGHTS_BYTES)) &&
      (e.dtype === 'float32' || e.dtype === 'int32') &&
      isInt(e.offset, 0, MAX_WEIGHTS_BYTES) &&
      isInt(e.bytes, 0, MAX_WEIGHTS_BYTES);
    if (!ok) fail(`tensor entry ${i} is malformed: ${show(e)}`);
    const t = e as unknown as TensorEntry;
    const label = `${t.group} '${t.name}'${t.field !== undefined ? `.${t.field}` : ''}`;
    if (seen.has(label)) fail(`${label} is listed twice`);
    seen.add(label);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.bytes !== size * 4) fail(`${label} has shape [${t.shape}] (${size * 4} bytes) but records ${t.bytes} bytes`);
    if (t.offset !== offset) fail(`${label} starts at byte ${t.offset}, expected ${offset}`);
    offset += t.bytes;
  }
  if (offset !== weightsBytes) fail(`the tensors cover ${offset} bytes but the weights file is recorded as ${weightsBytes}`);
  return v as TensorEntry[];
}

/**
 * Checks that the names agree with each other: best parameters and update-rule configs are for parameters the
 * checkpoint holds, each config field is one of its update rule's (OPTIM_FIELDS), and every tensor a config refers
 * to is listed, and every listed optimiser tensor is referred to.
 */
function checkNames(o: Record<string, unknown>, tensors: TensorEntry[], fail: Fail): void {
  const params = new Set(tensors.filter((t) => t.group === 'params').map((t) => t.name));
  const state = new Set(tensors.filter((t) => t.group === 'state').map((t) => t.name));
  for (const t of tensors) {
    if (t.group === 'best' && t.name.startsWith(BEST_STATE_PREFIX)) {
      const name = t.name.slice(BEST_STATE_PREFIX.length);
      if (!state.has(name)) fail(`best '${t.name}' is not one of the model's state tensors (${[...state].join(', ') || 'none'})`);
    } else if ((t.group === 'best' || t.group === 'optim') && !params.has(t.name)) {
      fail(`${t.group} '${t.name}' is not one of the parameters (${[...params].join(', ')})`);
    }
  }
  const optimizer = o.optimizer;
  const optimTensors = new Set(tensors.filter((t) => t.group === 'optim').map((t) => `${t.name}.${t.field}`));
  if (optimizer === null || optimizer === undefined) {
    if (optimTensors.size > 0) fail(`optimizer state tensors are listed but 'optimizer' is null`);
    return;
  }
  if (!isObject(optimizer) || typeof optimizer.updateRule !== 'string' || !isObject(optimizer.configs)) {
    return fail(`'optimizer' must be null or { updateRule, configs }, got ${show(optimizer)}`);
  }
  const rule = optimizer.updateRule;
  if (!(ALL_RULE_NAMES as readonly string[]).includes(rule)) fail(`update rule '${showName(rule)}' is not one of ${ALL_RULE_NAMES.join(', ')}`);
  const fields = OPTIM_FIELDS[rule];
  const referred = new Set<string>();
  for (const [name, config] of Object.entries(optimizer.configs)) {
    if (!params.has(name)) fail(`the optimizer has a config for '${showName(name)}', which is not one of the parameters (${[...params].join(', ')})`);
    if (!isObject(config)) return fail(`the optimizer config of '${name}' must be an object, got ${show(config)}`);
    for (const [field, value] of Object.entries(config)) {
      if (isFiniteNumber(value) && fields.numbers.includes(field)) {
        const range = OPTIM_NUMBER_RANGES[field];
        if (range !== undefined && !range.ok(value)) fail(`the ${rule} config of '${name}' has ${field} = ${show(value)}; it must be ${range.words}`);
        continue;
      }
      const ref = isObject(value) && value.tensor === true && Object.keys(value).length === 1;
      if (!ref || !fields.tensors.includes(field)) {
        fail(
          `the ${rule} config of '${name}' has field '${showName(field)}' = ${show(value)}; ${rule} configs hold numbers ` +
            `${fields.numbers.join(', ')}${fields.tensors.length > 0 ? ` and tensors ${fields.tensors.join(', ')}` : ''}`,
        );
      }
      if (!optimTensors.has(`${name}.${field}`)) fail(`the optimizer config of '${name}' refers to tensor '${field}', which the manifest does not list`);
      referred.add(`${name}.${field}`);
    }
  }
  for (const t of optimTensors) if (!referred.has(t)) fail(`optim '${t}' is listed but no optimizer config refers to it`);
}

/**
 * Checks a parsed manifest against the schema; throws a CheckpointError "loadCheckpoint: <where>: <what>" naming
 * the first field that is missing, out of bounds or inconsistent. Returns it typed.
 */
export function validateManifest(m: unknown, where: string): Manifest {
  const fail: Fail = (what) => {
    throw new CheckpointError(`loadCheckpoint: ${where}: ${what}`);
  };
  if (!isObject(m)) return fail('manifest is not a JSON object');
  if (m.format !== CHECKPOINT_FORMAT) fail(`format is '${showName(m.format)}', expected '${CHECKPOINT_FORMAT}'`);
  if (m.version !== CHECKPOINT_VERSION) fail(`format version ${show(m.version)} is not supported (this code reads version ${CHECKPOINT_VERSION})`);
  if (m.byteOrder !== 'little-endian') fail(`'byteOrder' must be 'little-endian', got ${show(m.byteOrder)}`);
  checkModel(m.model ?? null, fail);
  checkRun(m.run, fail);
  if (!isInt(m.epoch, 0, MAX_EPOCH)) fail(`'epoch' must be an integer from 0 to ${MAX_EPOCH}, got ${show(m.epoch)}`);
  if (!isInt(m.iteration, 0, MAX_ITERATION)) fail(`'iteration' must be an integer from 0 to ${MAX_ITERATION}, got ${show(m.iteration)}`);
  if (!isFiniteNumber(m.bestValAcc)) fail(`'bestValAcc' must be a finite number, got ${show(m.bestValAcc)}`);
  for (const k of ['lossHistory', 'trainAccHistory', 'valAccHistory']) checkNumberArray(m, k, fail);
  checkSolver(m.solver, fail);
  const w = m.weights;
  if (!isObject(w) || !isInt(w.bytes, 0, MAX_WEIGHTS_BYTES) || typeof w.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(w.sha256)) {
    return fail(`'weights' must be { bytes: 0 to ${MAX_WEIGHTS_BYTES}, sha256: 64 hex digits }, got ${show(w)}`);
  }
  const tensors = checkTensors(m.tensors, w.bytes, fail);
  checkNames(m, tensors, fail);
  return m as unknown as Manifest;
}
