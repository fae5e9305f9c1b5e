/**
 * Checkpoints: a trained model and its Solver's state, saved as a manifest and a weights file.
 *
 *   <base>.json         the manifest: format and version, the model's kind and constructor options, the run it
 *                       belongs to (an id and what the run was started with, e.g. quick, seed, data sizes), the
 *                       epoch and iteration, the loss and accuracy histories, the update rule and each
 *                       parameter's config (numbers inline, tensors by reference), the Solver settings, the
 *                       weights file's name, length and SHA-256, and one entry per tensor (group, name, shape,
 *                       dtype, byte offset, byte length)
 *   <base>.<sha>.bin    every tensor's raw little-endian bytes, back to back, in the manifest's order; <sha> is the
 *                       first 12 hex digits of their SHA-256
 *
 * Tensor groups: `params` (the model's parameters), `state` (model state besides parameters, e.g. batchnorm
 * running statistics), `best` (the Solver's best-validation parameters, and under `state/<name>` the model state
 * that went with them) and `optim` (per-parameter update-rule state such as Adam's m and v; `field` names which).
 *
 * Crash-safe: a save first records in its journal (`.<base>.json.journal`) the weights file it is about to write
 * and the one it will replace, then writes the new weights under their own name (never over the weights an
 * existing manifest names), then replaces the manifest, then deletes the weights the old manifest named, and last
 * the journal. Each file goes to a temporary name, is flushed to disk, and is renamed into place, and the folder
 * is flushed after each rename. A process killed at any point leaves the old checkpoint or the new one, whole,
 * plus at most some leftovers that cleanCheckpointDir removes and reports. Only what the program can prove it
 * wrote is ever deleted: its own temporary names, and the weights a journal records, once the manifest that
 * journal belongs to loads and names the other file. A weights file no journal records (the user's own, or one
 * whose manifest cannot be read) is never deleted at start-up. A pair copied or renamed together still loads: the loader looks for
 * `<base>.<sha>.bin` with its own base, then `<base>.bin`, and checks them against the recorded length and SHA-256.
 * Loading trusts nothing it reads (checkpoint_schema.ts): it refuses anything but a regular file, compares each
 * file's size on disk with its bound and with what the manifest records before reading it, validates the
 * manifest before building anything from it, and refuses truncated or corrupt files, weights that are not finite
 * (NaN or infinite values cannot come from a run worth continuing), and tensors that do not fit the model they
 * are loaded into, naming every difference. Loaded tensors are kept in null-prototype objects, so no name read
 * from a file can reach Object.prototype.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../src/model';
import type { OptimConfig } from '../src/optim';
import * as path from 'node:path';
import { describeFsError, ensureDirSync, isTempName, processAlive, tempPathBeside, writeFileAtomicSync } from './atomic';
import { DataError } from '../src/data/errors';
import { readBoundedFileSync } from './read_bounded';
import { printable } from './printable';
import {
  BEST_STATE_PREFIX,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  MAX_MANIFEST_BYTES,
  MAX_WEIGHTS_BYTES,
  type Manifest,
  type ModelSpec,
  type RunRecord,
  type SolverSettings,
  type TensorEntry,
  type TensorGroup,
  type TensorRef,
  type TrainingProgress,
  validateManifest,
} from './checkpoint_schema';

export { BEST_STATE_PREFIX, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointError, validateManifest };
export type { ModelSpec, RunRecord, SolverSettings, TrainingProgress };

/** An update rule's name and one config per parameter (numbers and state tensors). */
export interface OptimizerState {
  updateRule: string;
  configs: Record<string, Partial<OptimConfig>>;
}

/** What a checkpoint holds. Tensors are the caller's: saving reads them, loading returns new ones. */
export interface CheckpointContents extends TrainingProgress {
  model: ModelSpec | null;
  /** The run this checkpoint belongs to; null when the caller keeps no record (a one-off save). */
  run?: RunRecord | null;
  params: Record<string, tf.Tensor>;
  modelState: Record<string, tf.Tensor>;
  bestParams: Record<string, tf.Tensor>;
  /**
   * The model state at the best validation accuracy (the Solver's bestState), saved in group `best` as
   * `state/<name>`; loading returns those entries inside bestParams (splitBest in runtime/resume.ts parts them).
   */
  bestState?: Record<string, tf.Tensor>;
  optimizer: OptimizerState | null;
}

/** A loaded checkpoint: its contents (new tensors, freed by disposeCheckpoint) and where it came from. */
export interface Checkpoint extends CheckpointContents {
  manifestPath: string;
  weightsPath: string;
}

/**
 * The manifest path for a checkpoint base path (`runs/fc_epoch_3` or `runs/fc_epoch_3.json`), and `<base>.bin`:
 * where a pair copied under a plain name keeps its weights.
 */
export function checkpointPaths(base: string): { manifestPath: string; weightsPath: string } {
  const stem = base.endsWith('.json') ? base.slice(0, -'.json'.length) : base;
  return { manifestPath: `${stem}.json`, weightsPath: `${stem}.bin` };
}

function checkLittleEndian(fn: string): void {
  // The weights file is the typed arrays' memory as is, which is little-endian on every platform Node and
  // browsers run tfjs on; a big-endian host would read garbage, so it is refused rather than guessed at.
  if (os.endianness() !== 'LE') throw new CheckpointError(`${fn}: checkpoints are little-endian; this host is big-endian`);
}

/** Steps of a save, reported to SaveOptions.onStep (tests stop the save there to check what survives). */
export type SaveStep = 'weights-written' | 'manifest-written';

export interface SaveOptions {
  onStep?: (step: SaveStep) => void;
}

/**
 * Writes a checkpoint to `<base>.json` and `<base>.<sha>.bin`, creating the folder if needed, crash-safely (see
 * the file comment). base: a path without extension (or ending in .json). Returns the two paths. Reads the
 * tensors; disposes nothing.
 */
export function saveCheckpoint(base: string, contents: CheckpointContents, options: SaveOptions = {}): { manifestPath: string; weightsPath: string } {
  checkLittleEndian('saveCheckpoint');
  const { manifestPath } = checkpointPaths(base);
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
  for (const [name, t] of Object.entries(contents.bestState ?? {})) add('best', `${BEST_STATE_PREFIX}${name}`, t);

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
  const digest = sha256(weights);
  const stem = manifestPath.slice(0, -'.json'.length);
  const weightsPath = `${stem}.${digest.slice(0, 12)}.bin`;
  const manifest: Manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    byteOrder: 'little-endian',
    model: contents.model,
    run: contents.run ?? null,
    epoch: contents.epoch,
    iteration: contents.iteration,
    solver: contents.solver,
    lossHistory: contents.lossHistory,
    trainAccHistory: contents.trainAccHistory,
    valAccHistory: contents.valAccHistory,
    bestValAcc: contents.bestValAcc,
    optimizer,
    weights: { file: path.basename(weightsPath), bytes: weights.byteLength, sha256: digest },
    tensors: entries,
  };
  fs.mkdirSync(path.dirname(manifestPath), { recursive: true });
  // The weights the current manifest names, if any: they stay until the new manifest has replaced it.
  const previous = namedWeights(manifestPath);
  const journal = journalPath(manifestPath);
  const record: SaveJournal = {
    format: JOURNAL_FORMAT,
    pid: process.pid,
    manifest: path.basename(manifestPath),
    written: path.basename(weightsPath),
    replaced: previous !== null && previous !== weightsPath ? path.basename(previous) : null,
  };
  writeFileAtomicSync(journal, JSON.stringify(record) + '\n');
  writeFileAtomicSync(weightsPath, weights);
  options.onStep?.('weights-written');
  writeFileAtomicSync(manifestPath, JSON.stringify(manifest, null, 1) + '\n');
  options.onStep?.('manifest-written');
  if (record.replaced !== null) fs.rmSync(path.join(path.dirname(manifestPath), record.replaced), { force: true });
  fs.rmSync(journal, { force: true });
  return { manifestPath, weightsPath };
}

const JOURNAL_FORMAT = 'cs231n-tfjs-save-journal';

/**
 * What a save in progress records before it writes a byte of weights: the manifest it is saving, the weights file
 * it writes and the weights file it replaces (null for none), all names in the checkpoint's folder. A save that
 * completes deletes its journal; one that is killed leaves it, and cleanCheckpointDir reads it to know which
 * file is the save's leftover.
 */
interface SaveJournal {
  format: typeof JOURNAL_FORMAT;
  pid: number;
  manifest: string;
  written: string;
  replaced: string | null;
}

/** The journal of saves to manifestPath: `.<name>.json.journal` beside it. */
function journalPath(manifestPath: string): string {
  return path.join(path.dirname(manifestPath), `.${path.basename(manifestPath)}.journal`);
}

const JOURNAL_NAME = /^\.(.+\.json)\.journal$/;

/**
 * Reads a journal and checks it describes a save of `manifest` in this folder: the weights it names must be
 * `<base>.<12 hex>.bin` of that manifest's base, so that no journal can name another file. Null when it does not.
 */
function readJournal(file: string, manifest: string): SaveJournal | null {
  try {
    const j = JSON.parse(readBoundedFileSync(file, { maxBytes: 4096, error: (m) => new Error(m) }).toString('utf8')) as Partial<SaveJournal>;
    const stem = manifest.slice(0, -'.json'.length);
    const ours = (name: unknown): boolean => {
      const m = typeof name === 'string' ? WEIGHTS_NAME.exec(name) : null;
      return m !== null && m[1] === stem;
    };
    if (j.format !== JOURNAL_FORMAT || j.manifest !== manifest || !Number.isSafeInteger(j.pid) || !ours(j.written)) return null;
    if (j.replaced !== null && !ours(j.replaced)) return null;
    return j as SaveJournal;
  } catch {
    return null;
  }
}

/** The weights file an existing manifest names (null when there is no manifest that validates). */
function namedWeights(manifestPath: string): string | null {
  try {
    return weightsCandidates(manifestPath, readManifest(manifestPath).weights.sha256)[0];
  } catch {
    return null;
  }
}

/**
 * Where a manifest's weights may be, in order: `<base>.<sha12>.bin` (as saved; <base> is the manifest's own, so a
 * pair renamed together still loads), then `<base>.bin` (a pair copied under a plain name). The name the manifest
 * records is never used as a path: it could point anywhere.
 */
function weightsCandidates(manifestPath: string, digest: string): string[] {
  const stem = manifestPath.slice(0, -'.json'.length);
  return [`${stem}.${digest.slice(0, 12)}.bin`, `${stem}.bin`];
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** "loadCheckpoint: <file>: no such file" and the like, for a file-system error met while reading a checkpoint. */
function fsFailure(err: unknown, file: string, what: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || err instanceof CheckpointError) return err;
  return new CheckpointError(`loadCheckpoint: cannot read the ${what} ${file}: ${describeFsError(err) ?? (err as Error).message}`);
}

/**
 * Reads and validates a checkpoint manifest (step 1 of loading): a regular file of at most MAX_MANIFEST_BYTES,
 * valid JSON, and valid against checkpoint_schema.ts. Builds nothing. Throws a CheckpointError naming the file.
 */
export function readManifest(manifestPath: string): Manifest {
  let text: string;
  try {
    text = readBoundedFileSync(manifestPath, {
      maxBytes: MAX_MANIFEST_BYTES,
      error: (message) => new CheckpointError(`loadCheckpoint: ${message}`),
    }).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointError(`loadCheckpoint: no checkpoint manifest at ${manifestPath}`);
    throw fsFailure(err, manifestPath, 'checkpoint manifest');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the text around the fault, newlines and all: one line, control characters escaped.
    const why = printable((err as Error).message.replace(/\s+/g, ' ')).slice(0, 200);
    throw new CheckpointError(`loadCheckpoint: ${manifestPath} is not valid JSON (${why}); the file is corrupt`);
  }
  return validateManifest(parsed, manifestPath);
}

/**
 * Finds and reads the weights a validated manifest names (step 2): a regular file whose size on disk is the
 * recorded one before a byte is read, whose SHA-256 is the recorded one, and whose float32 values are finite.
 */
function readWeights(manifestPath: string, m: Manifest): { weightsPath: string; buf: Buffer } {
  const candidates = weightsCandidates(manifestPath, m.weights.sha256);
  const weightsPath = candidates.find((f) => fs.existsSync(f));
  if (weightsPath === undefined) {
    throw new CheckpointError(`loadCheckpoint: weights file ${candidates[0]} (or ${path.basename(candidates[1])}) named by ${manifestPath} is missing`);
  }
  let buf: Buffer;
  try {
    buf = readBoundedFileSync(weightsPath, {
      maxBytes: MAX_WEIGHTS_BYTES,
      expect: { bytes: m.weights.bytes, recordedIn: manifestPath },
      error: (message, kind) => new CheckpointError(`loadCheckpoint: ${message}${kind === 'type' ? '' : '; the checkpoint is corrupt'}`),
    });
  } catch (err) {
    throw fsFailure(err, weightsPath, 'weights file');
  }
  if (sha256(buf) !== m.weights.sha256) {
    throw new CheckpointError(
      `loadCheckpoint: ${weightsPath} does not match the SHA-256 recorded in ${manifestPath}; the weights are corrupt or come from another save`,
    );
  }
  checkFinite(m.tensors, buf, manifestPath);
  return { weightsPath, buf };
}

/** A record with no prototype: a key read from a file ('__proto__' included) is only ever an own property. */
function bare<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Builds the tensors and configs of a validated manifest from its weights (step 3). Every record is a
 * null-prototype object. The validation has already matched every config's tensor to a listed entry.
 */
function buildContents(m: Manifest, buf: Buffer, manifestPath: string, weightsPath: string): Checkpoint {
  const out: Checkpoint = {
    manifestPath,
    weightsPath,
    model: m.model ?? null,
    run: m.run ?? null,
    params: bare(),
    modelState: bare(),
    bestParams: bare(),
    optimizer: null,
    epoch: m.epoch,
    iteration: m.iteration,
    solver: m.solver ?? null,
    lossHistory: m.lossHistory,
    trainAccHistory: m.trainAccHistory,
    valAccHistory: m.valAccHistory,
    bestValAcc: m.bestValAcc,
  };
  const optimTensors = new Map<string, tf.Tensor>();
  for (const e of m.tensors) {
    // Copy the bytes out: a Buffer's offset into its pool need not be 4-byte aligned for a typed-array view.
    const bytes = buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + e.bytes);
    const values = e.dtype === 'float32' ? new Float32Array(bytes) : new Int32Array(bytes);
    const t = tf.tensor(values, e.shape, e.dtype);
    if (e.group === 'params') out.params[e.name] = t;
    else if (e.group === 'state') out.modelState[e.name] = t;
    else if (e.group === 'best') out.bestParams[e.name] = t;
    else optimTensors.set(`${e.name}.${e.field}`, t);
  }
  if (m.optimizer) {
    const configs = bare<Partial<OptimConfig>>();
    for (const [name, stored] of Object.entries(m.optimizer.configs)) {
      const config = bare<number | tf.Tensor>();
      for (const [field, value] of Object.entries(stored)) {
        config[field] = typeof value === 'number' ? value : (optimTensors.get(`${name}.${field}`) as tf.Tensor);
      }
      configs[name] = config as Partial<OptimConfig>;
    }
    out.optimizer = { updateRule: m.optimizer.updateRule, configs };
  }
  return out;
}

/**
 * Reads a checkpoint written by saveCheckpoint. base: the path without extension, or the .json path.
 * Returns its contents with new tensors (free them with disposeCheckpoint). Throws a CheckpointError naming the
 * problem for a missing file, one that is not a regular file or too large, invalid JSON, a manifest that fails
 * the schema (checkpoint_schema.ts), or weights whose size, checksum or values disagree with the manifest.
 */
export function loadCheckpoint(base: string): Checkpoint {
  checkLittleEndian('loadCheckpoint');
  const { manifestPath } = checkpointPaths(base);
  const manifest = readManifest(manifestPath);
  const { weightsPath, buf } = readWeights(manifestPath, manifest);
  return buildContents(manifest, buf, manifestPath, weightsPath);
}

/**
 * Throws unless every float32 value is finite, listing each tensor that has NaN or infinite values and how many.
 * The checksum only says the bytes are the ones saved; a diverged run saves NaN weights faithfully.
 */
function checkFinite(entries: TensorEntry[], buf: Buffer, manifestPath: string): void {
  const bad: string[] = [];
  for (const e of entries) {
    if (e.dtype !== 'float32') continue;
    const values = new Float32Array(buf.buffer.slice(buf.byteOffset + e.offset, buf.byteOffset + e.offset + e.bytes));
    let nan = 0;
    let inf = 0;
    for (const v of values) {
      if (Number.isNaN(v)) nan++;
      else if (!Number.isFinite(v)) inf++;
    }
    if (nan + inf > 0) bad.push(`${e.group} '${e.name}'${e.field ? `.${e.field}` : ''}: ${nan} NaN and ${inf} infinite of ${values.length} values`);
  }
  if (bad.length > 0) {
    throw new CheckpointError(
      `loadCheckpoint: ${manifestPath} holds weights that are not finite (the run had diverged); refusing to load them:\n  ${bad.join('\n  ')}`,
    );
  }
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
  // State first: a model that refuses it has then changed nothing, and the clones it did not take are freed.
  if (model.loadState && stateNames.length > 0) {
    const clones = Object.fromEntries(stateNames.map((k) => [k, tf.clone(c.modelState[k])]));
    try {
      model.loadState(clones);
    } catch (err) {
      for (const t of Object.values(clones)) t.dispose();
      throw new CheckpointError(`checkpoint ${c.manifestPath}: ${(err as Error).message}`);
    }
  }
  for (const [name, p] of Object.entries(model.params)) p.assign(c.params[name]);
}

const WEIGHTS_NAME = /^(.+)\.[0-9a-f]{12}\.bin$/;

/** One file start-up cleaning would delete, and the line that says why. */
export interface CleanupStep {
  path: string;
  line: string;
}

/**
 * What cleanCheckpointDir would do in dir, without doing it: the files it would delete (temporaries of processes
 * no longer running, the leftover weights of killed saves their journals record, and those journals) and notes
 * on what it leaves alone and why. A missing folder is no work.
 */
export function planCheckpointCleanup(dir: string): { remove: CleanupStep[]; notes: string[] } {
  const remove: CleanupStep[] = [];
  const notes: string[] = [];
  if (!fs.existsSync(dir)) return { remove, notes };
  const names = fs.readdirSync(dir).sort();
  for (const name of names) {
    const temp = isTempName(name) ? /-(\d+)-[0-9a-z]+-\d+$/.exec(name) : null;
    if (temp !== null) {
      const pid = Number(temp[1]);
      if (pid === process.pid || processAlive(pid)) continue;
      remove.push({ path: path.join(dir, name), line: `removed ${name}: a temporary of a save that was killed (process ${pid})` });
      continue;
    }
    const j = JOURNAL_NAME.exec(name);
    if (j === null) continue;
    const journalFile = path.join(dir, name);
    const journal = readJournal(journalFile, j[1]);
    if (journal === null) {
      notes.push(`left ${name} alone, and every file it names: it is not a save journal this program writes`);
      continue;
    }
    if (journal.pid !== process.pid && processAlive(journal.pid)) continue;
    const manifestPath = path.join(dir, journal.manifest);
    let kept: string | null = null;
    if (fs.existsSync(manifestPath)) {
      kept = namedWeights(manifestPath);
      if (kept === null) {
        const files = [journal.written, journal.replaced].filter((f) => f !== null).join(' and ');
        notes.push(`left ${files} alone: a save of ${journal.manifest} was killed, but ${journal.manifest} does not load, so which one it needs is unknown`);
        continue;
      }
    }
    for (const f of [journal.written, journal.replaced]) {
      if (f === null || (kept !== null && path.basename(kept) === f) || !fs.existsSync(path.join(dir, f))) continue;
      remove.push({ path: path.join(dir, f), line: `removed ${f}: weights a killed save of ${journal.manifest} left (its journal records them; ${kept === null ? 'no manifest was written' : `the manifest names ${path.basename(kept)}`})` });
    }
    remove.push({ path: journalFile, line: '' });
  }
  return { remove, notes };
}

/** Carries out a plan of planCheckpointCleanup; returns its lines (notes first). */
export function carryOutCleanup(plan: { remove: CleanupStep[]; notes: string[] }): string[] {
  for (const step of plan.remove) fs.rmSync(step.path, { recursive: true, force: true });
  return [...plan.notes, ...plan.remove.map((s) => s.line).filter((l) => l !== '')];
}

/**
 * Removes what killed saves left in a checkpoint folder, and returns one line per file removed or left alone (for
 * the caller to print): temporaries of processes no longer running, and weights files that a killed save's
 * journal records and its manifest does not name (the new weights of a save killed before its manifest, or the
 * old ones of a save killed before it deleted them). A weights file no journal records is never deleted.
 */
export function cleanCheckpointDir(dir: string): string[] {
  return carryOutCleanup(planCheckpointCleanup(dir));
}

/**
 * Makes sure checkpoints can be written to `dir` before any training starts, instead of failing at the end of the
 * first epoch: creates it (and its parents) if needed, then writes and removes a probe file in it (a read-only
 * mount or a full disk refuses that even where the permission bits would allow it). Throws a DataError naming the
 * folder and what failed. Returns the absolute path.
 */
export function prepareCheckpointDir(dir: string): string {
  const abs = ensureDirSync(dir, 'checkpoint folder');
  const probe = tempPathBeside(path.join(abs, 'write-probe'));
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe, { force: true });
  } catch (err) {
    throw new DataError(`checkpoint folder ${dir}: cannot write in ${abs}: ${describeFsError(err) ?? (err as Error).message}; no training was started`);
  }
  return abs;
}

/** A checkpoint skipped while looking for one to resume from, and why. */
export interface SkippedCheckpoint {
  manifestPath: string;
  reason: string;
}

/**
 * The newest intact checkpoint `<name>_epoch_<e>` in dir: tries them from the highest epoch down and returns the
 * first that loads (its tensors are the caller's: disposeCheckpoint), with the newer ones skipped and why (a
 * corrupt, truncated or non-finite checkpoint). checkpoint is null when none loads, or there is none.
 */
export function loadLatestCheckpoint(dir: string, name: string): { checkpoint: Checkpoint | null; skipped: SkippedCheckpoint[] } {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_epoch_(\\d+)\\.json$`);
  const found = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .map((f) => ({ f, m: pattern.exec(f) }))
    .filter((x) => x.m !== null)
    .sort((a, b) => Number((b.m as RegExpExecArray)[1]) - Number((a.m as RegExpExecArray)[1]));
  const skipped: SkippedCheckpoint[] = [];
  for (const { f } of found) {
    const manifestPath = path.join(dir, f);
    try {
      return { checkpoint: loadCheckpoint(manifestPath), skipped };
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      skipped.push({ manifestPath, reason: err.message.replace(/^loadCheckpoint: /, '') });
    }
  }
  return { checkpoint: null, skipped };
}
