/**
 * Checkpoints: a trained model and its Solver's state, saved as a pair of files with one stem (a pair copied or
 * renamed together stays a valid checkpoint).
 *
 *   <base>.json  the manifest: format and version, the model's kind and constructor options, the epoch and
 *                iteration, the loss and accuracy histories, the update rule and each parameter's config (numbers
 *                inline, tensors by reference), the seed and Solver settings, and one entry per tensor
 *                (group, name, shape, dtype, byte offset, byte length)
 *   <base>.bin   every tensor's raw little-endian bytes, back to back, in the manifest's order
 *
 * Tensor groups: `params` (the model's parameters), `state` (model state besides parameters, e.g. batchnorm
 * running statistics), `best` (the Solver's best-validation parameters) and `optim` (per-parameter update-rule
 * state such as Adam's m and v; `field` names which).
 *
 * Written atomically: each file goes to a temporary name and is renamed into place, weights first, manifest
 * last. The manifest records the weights' byte length and SHA-256, so a weights file from another save (an
 * interrupted save between the two renames, a copied file) is refused, as are truncated or corrupt files.
 * Loading also refuses tensors that do not fit the model they are loaded into, naming every difference.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './model';
import type { OptimConfig } from './optim';
import { writeFileAtomic } from './vis/write_atomic';

export const CHECKPOINT_FORMAT = 'cs231n-tfjs-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** A model's kind (its class name) and constructor options, enough for a registry to rebuild it. */
export interface ModelSpec {
  kind: string;
  /** JSON-serialisable constructor options. */
  options?: unknown;
}

/** An update rule's name and one config per parameter (numbers and state tensors). */
export interface OptimizerState {
  updateRule: string;
  configs: Record<string, Partial<OptimConfig>>;
}

/** The Solver settings a resumed run needs to continue the same run. */
export interface SolverSettings {
  batchSize: number;
  numEpochs: number;
  lrDecay: number;
  numTrainSamples: number | null;
  numValSamples: number | null;
  seed: number;
}

/** What a checkpoint holds. Tensors are the caller's: saving reads them, loading returns new ones. */
export interface CheckpointContents {
  model: ModelSpec | null;
  params: Record<string, tf.Tensor>;
  modelState: Record<string, tf.Tensor>;
  bestParams: Record<string, tf.Tensor>;
  optimizer: OptimizerState | null;
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

/** A loaded checkpoint: its contents (new tensors, freed by disposeCheckpoint) and where it came from. */
export interface Checkpoint extends CheckpointContents {
  manifestPath: string;
  weightsPath: string;
}

export class CheckpointError extends Error {}

type TensorGroup = 'params' | 'state' | 'best' | 'optim';
type StoredDtype = 'float32' | 'int32';

interface TensorEntry {
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
interface TensorRef {
  tensor: true;
}

interface Manifest {
  format: string;
  version: number;
  byteOrder: 'little-endian';
  model: ModelSpec | null;
  epoch: number;
  iteration: number;
  solver: SolverSettings | null;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  optimizer: { updateRule: string; configs: Record<string, Record<string, number | TensorRef>> } | null;
  weights: { bytes: number; sha256: string };
  tensors: TensorEntry[];
}

/** The manifest and weights paths for a checkpoint base path (`runs/fc_epoch_3` or `runs/fc_epoch_3.json`). */
export function checkpointPaths(base: string): { manifestPath: string; weightsPath: string } {
  const stem = base.endsWith('.json') ? base.slice(0, -'.json'.length) : base;
  return { manifestPath: `${stem}.json`, weightsPath: `${stem}.bin` };
}

function checkLittleEndian(fn: string): void {
  // The weights file is the typed arrays' memory as is, which is little-endian on every platform Node and
  // browsers run tfjs on; a big-endian host would read garbage, so it is refused rather than guessed at.
  if (os.endianness() !== 'LE') throw new CheckpointError(`${fn}: checkpoints are little-endian; this host is big-endian`);
}

/**
 * Writes a checkpoint to `<base>.json` and `<base>.bin`, creating the folder if needed, atomically.
 * base: a path without extension (or ending in .json). Returns the two paths. Reads the tensors; disposes nothing.
 */
export function saveCheckpoint(base: string, contents: CheckpointContents): { manifestPath: string; weightsPath: string } {
  checkLittleEndian('saveCheckpoint');
  const { manifestPath, weightsPath } = checkpointPaths(base);
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (group: TensorGroup, name: string, t: tf.Tensor, field?: string): void => {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') {
      throw new CheckpointError(`saveCheckpoint: ${group} '${name}'${field ? `.${field}` : ''} has dtype ${t.dtype}; only float32 and int32 are stored`);
    }
    const data = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    entries.push({ group, name, ...(field ? { field } : {}), shape: [...t.shape], dtype: t.dtype, offset, bytes: bytes.byteLength });
    chunks.push(bytes);
    offset += bytes.byteLength;
  };
  for (const [name, t] of Object.entries(contents.params)) add('params', name, t);
  for (const [name, t] of Object.entries(contents.modelState)) add('state', name, t);
  for (const [name, t] of Object.entries(contents.bestParams)) add('best', name, t);

  let optimizer: Manifest['optimizer'] = null;
  if (contents.optimizer) {
    const configs: Record<string, Record<string, number | TensorRef>> = {};
    for (const [name, config] of Object.entries(contents.optimizer.configs)) {
      const stored: Record<string, number | TensorRef> = {};
      for (const [field, value] of Object.entries(config)) {
        if (value instanceof tf.Tensor) {
          add('optim', name, value, field);
          stored[field] = { tensor: true };
        } else if (typeof value === 'number' && Number.isFinite(value)) {
          stored[field] = value;
        } else {
          throw new CheckpointError(`saveCheckpoint: optimizer config of '${name}' field '${field}' must be a finite number or a tensor, got ${String(value)}`);
        }
      }
      configs[name] = stored;
    }
    optimizer = { updateRule: contents.optimizer.updateRule, configs };
  }

  const weights = Buffer.concat(chunks, offset);
  const manifest: Manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    byteOrder: 'little-endian',
    model: contents.model,
    epoch: contents.epoch,
    iteration: contents.iteration,
    solver: contents.solver,
    lossHistory: contents.lossHistory,
    trainAccHistory: contents.trainAccHistory,
    valAccHistory: contents.valAccHistory,
    bestValAcc: contents.bestValAcc,
    optimizer,
    weights: { bytes: weights.byteLength, sha256: sha256(weights) },
    tensors: entries,
  };
  // Weights first: until the new manifest is renamed into place, the old manifest's checksum refuses the new
  // weights, so a save interrupted between the two renames is detected rather than half-loaded.
  writeFileAtomic(weightsPath, weights);
  writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 1) + '\n');
  return { manifestPath, weightsPath };
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function isFiniteNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Checks the manifest's structure; throws naming the first field that is missing or wrong. */
function validateManifest(m: unknown, where: string): Manifest {
  const fail = (what: string): never => {
    throw new CheckpointError(`loadCheckpoint: ${where}: ${what}`);
  };
  if (typeof m !== 'object' || m === null) return fail('manifest is not a JSON object');
  const o = m as Record<string, unknown>;
  if (o.format !== CHECKPOINT_FORMAT) fail(`format is '${String(o.format)}', expected '${CHECKPOINT_FORMAT}'`);
  if (o.version !== CHECKPOINT_VERSION) fail(`format version ${String(o.version)} is not supported (this code reads version ${CHECKPOINT_VERSION})`);
  for (const k of ['epoch', 'iteration', 'bestValAcc']) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) fail(`'${k}' must be a finite number, got ${JSON.stringify(o[k])}`);
  }
  for (const k of ['lossHistory', 'trainAccHistory', 'valAccHistory']) {
    if (!isFiniteNumberArray(o[k])) fail(`'${k}' must be an array of finite numbers`);
  }
  const w = o.weights as Record<string, unknown> | undefined;
  if (!w || typeof w.bytes !== 'number' || typeof w.sha256 !== 'string') {
    fail("'weights' must be { bytes, sha256 }");
  }
  if (!Array.isArray(o.tensors)) fail("'tensors' must be an array");
  for (const [i, e] of (o.tensors as unknown[]).entries()) {
    const t = e as Record<string, unknown>;
    const ok =
      typeof t === 'object' &&
      t !== null &&
      ['params', 'state', 'best', 'optim'].includes(t.group as string) &&
      typeof t.name === 'string' &&
      (t.group !== 'optim' || typeof t.field === 'string') &&
      Array.isArray(t.shape) &&
      t.shape.every((s) => Number.isInteger(s) && s >= 0) &&
      (t.dtype === 'float32' || t.dtype === 'int32') &&
      Number.isInteger(t.offset) &&
      Number.isInteger(t.bytes);
    if (!ok) fail(`tensor entry ${i} is malformed: ${JSON.stringify(e)}`);
  }
  return m as Manifest;
}

/**
 * Reads a checkpoint written by saveCheckpoint. base: the path without extension, or the .json path.
 * Returns its contents with new tensors (free them with disposeCheckpoint). Throws a CheckpointError naming the
 * problem for a missing file, invalid JSON, a manifest of another format or version, or weights whose size,
 * checksum or tensor layout disagree with the manifest.
 */
export function loadCheckpoint(base: string): Checkpoint {
  checkLittleEndian('loadCheckpoint');
  const { manifestPath, weightsPath } = checkpointPaths(base);
  if (!fs.existsSync(manifestPath)) throw new CheckpointError(`loadCheckpoint: no checkpoint manifest at ${manifestPath}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`loadCheckpoint: ${manifestPath} is not valid JSON (${(err as Error).message}); the file is corrupt`);
  }
  const m = validateManifest(parsed, manifestPath);
  if (!fs.existsSync(weightsPath)) throw new CheckpointError(`loadCheckpoint: weights file ${weightsPath} named by ${manifestPath} is missing`);
  const buf = fs.readFileSync(weightsPath);
  if (buf.byteLength !== m.weights.bytes) {
    const why = buf.byteLength < m.weights.bytes ? 'truncated' : 'longer than recorded';
    throw new CheckpointError(
      `loadCheckpoint: ${weightsPath} has ${buf.byteLength} bytes but ${manifestPath} records ${m.weights.bytes} (${why}); the checkpoint is corrupt`,
    );
  }
  if (sha256(buf) !== m.weights.sha256) {
    throw new CheckpointError(
      `loadCheckpoint: ${weightsPath} does not match the SHA-256 recorded in ${manifestPath}; the weights are corrupt or come from another save`,
    );
  }

  let expectedOffset = 0;
  for (const e of m.tensors) {
    const label = `${e.group} '${e.name}'${e.field ? `.${e.field}` : ''}`;
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.bytes !== size * 4) throw new CheckpointError(`loadCheckpoint: ${label} has shape [${e.shape}] (${size * 4} bytes) but records ${e.bytes} bytes`);
    if (e.offset !== expectedOffset) throw new CheckpointError(`loadCheckpoint: ${label} starts at byte ${e.offset}, expected ${expectedOffset}`);
    expectedOffset += e.bytes;
  }
  if (expectedOffset !== buf.byteLength) {
    throw new CheckpointError(`loadCheckpoint: the tensors in ${manifestPath} cover ${expectedOffset} bytes but ${weightsPath} has ${buf.byteLength}`);
  }

  const out: Checkpoint = {
    manifestPath,
    weightsPath,
    model: m.model ?? null,
    params: {},
    modelState: {},
    bestParams: {},
    optimizer: null,
    epoch: m.epoch,
    iteration: m.iteration,
    solver: m.solver ?? null,
    lossHistory: m.lossHistory,
    trainAccHistory: m.trainAccHistory,
    valAccHistory: m.valAccHistory,
    bestValAcc: m.bestValAcc,
  };
  const optimTensors: Record<string, Record<string, tf.Tensor>> = {};
  for (const e of m.tensors) {
    // Copy the bytes out: a Buffer's offset into its pool need not be 4-byte aligned for a typed-array view.
    const bytes = buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + e.bytes);
    const values = e.dtype === 'float32' ? new Float32Array(bytes) : new Int32Array(bytes);
    const t = tf.tensor(values, e.shape, e.dtype);
    if (e.group === 'params') out.params[e.name] = t;
    else if (e.group === 'state') out.modelState[e.name] = t;
    else if (e.group === 'best') out.bestParams[e.name] = t;
    else (optimTensors[e.name] ??= {})[e.field as string] = t;
  }
  if (m.optimizer) {
    const configs: Record<string, Partial<OptimConfig>> = {};
    for (const [name, stored] of Object.entries(m.optimizer.configs)) {
      const config: Record<string, number | tf.Tensor> = {};
      for (const [field, value] of Object.entries(stored)) {
        if (typeof value === 'number') config[field] = value;
        else {
          const t = optimTensors[name]?.[field];
          if (!t) {
            disposeCheckpoint(out);
            tf.dispose(Object.values(optimTensors).flatMap((r) => Object.values(r)));
            throw new CheckpointError(`loadCheckpoint: optimizer config of '${name}' refers to tensor '${field}', which ${manifestPath} does not list`);
          }
          config[field] = t;
        }
      }
      configs[name] = config as Partial<OptimConfig>;
    }
    out.optimizer = { updateRule: m.optimizer.updateRule, configs };
  }
  return out;
}

/** Frees every tensor a loaded checkpoint holds. */
export function disposeCheckpoint(c: CheckpointContents): void {
  const tensors: tf.Tensor[] = [...Object.values(c.params), ...Object.values(c.modelState), ...Object.values(c.bestParams)];
  for (const config of Object.values(c.optimizer?.configs ?? {})) {
    for (const v of Object.values(config)) if (v instanceof tf.Tensor) tensors.push(v);
  }
  tf.dispose(tensors);
}

/**
 * Compares two named sets of tensors by name and shape; returns one line per difference (empty when they match).
 * what: words for the two sides, e.g. ['checkpoint', 'model'].
 */
export function describeMismatch(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>, what: [string, string]): string[] {
  const lines: string[] = [];
  for (const [name, t] of Object.entries(b)) {
    if (!(name in a)) lines.push(`'${name}' [${t.shape}] is in the ${what[1]} but not in the ${what[0]}`);
  }
  for (const [name, t] of Object.entries(a)) {
    const other = b[name];
    if (!other) lines.push(`'${name}' [${t.shape}] is in the ${what[0]} but not in the ${what[1]}`);
    else if (t.rank !== other.rank || t.shape.some((s, i) => s !== other.shape[i])) {
      lines.push(`'${name}' is [${t.shape}] in the ${what[0]} but [${other.shape}] in the ${what[1]}`);
    } else if (t.dtype !== other.dtype) {
      lines.push(`'${name}' is ${t.dtype} in the ${what[0]} but ${other.dtype} in the ${what[1]}`);
    }
  }
  return lines;
}

/**
 * Throws unless the checkpoint fits the model: same model kind (when both say), and parameters with the same
 * names and shapes. The error lists every difference.
 */
export function checkCheckpointMatchesModel(c: Checkpoint, model: Model, modelSpec: ModelSpec | null): void {
  const where = c.manifestPath;
  if (c.model && modelSpec && c.model.kind !== modelSpec.kind) {
    throw new CheckpointError(`checkpoint ${where} holds a ${c.model.kind}, but the model is a ${modelSpec.kind}`);
  }
  const lines = describeMismatch(c.params, model.params, ['checkpoint', 'model']);
  if (lines.length > 0) {
    throw new CheckpointError(`checkpoint ${where} does not match the model's parameters:\n  ${lines.join('\n  ')}`);
  }
}

/**
 * Puts a checkpoint's parameters and state into a model after checking that they fit it (see
 * checkCheckpointMatchesModel). The model gets copies: the checkpoint's tensors stay the caller's.
 */
export function restoreModel(c: Checkpoint, model: Model, modelSpec: ModelSpec | null = null): void {
  checkCheckpointMatchesModel(c, model, modelSpec);
  const stateNames = Object.keys(c.modelState);
  if (stateNames.length > 0 && !model.loadState) {
    throw new CheckpointError(`checkpoint ${c.manifestPath} holds model state (${stateNames.join(', ')}) but the model has no loadState()`);
  }
  for (const [name, p] of Object.entries(model.params)) p.assign(c.params[name]);
  if (model.loadState && stateNames.length > 0) {
    model.loadState(Object.fromEntries(stateNames.map((k) => [k, tf.clone(c.modelState[k])])));
  }
}
