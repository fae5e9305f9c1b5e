/**
 * Saving a trained model from the page, and loading one back, in the scripts' checkpoint format
 * (runtime/checkpoint.ts): a manifest `<name>.json` and the weights `<name>.bin`, chosen together when loading.
 * The page writes the model's parameters only (no update-rule state, no histories); the hyperparameters it
 * trained with go in the manifest's run record.
 *
 * A model file is input from outside, so it is checked before anything is built from it: both files' sizes are
 * bounded; the manifest is JSON validated by the checkpoint schema (runtime/checkpoint_schema.ts); the weights
 * file's length and SHA-256 must match the manifest's; the model's kind must be one the page knows (KINDS), its
 * options within the page's bounds, its parameters exactly the names and shapes that model has, every value
 * finite. A refusal is one line naming the file and what is wrong.
 *
 * A new model kind is one entry in KINDS: how its checkpoint options map to a page model and its settings.
 *
 * The models `npm run train` makes (EXPLORE_KINDS: Airbench, ResNet) load too, to explore and never to train: the
 * page shows their saliency, confusion and predictions, in test mode. Their checkpoint is the script's last epoch,
 * runs/train/checkpoints/ckpt_epoch_<e>.json with its ckpt_epoch_<e>.<digest>.bin; it also holds the best epoch's
 * copy and the update rule's state (groups `best` and `optim`), which the page does not read. Their state tensors
 * (batchnorm running statistics, Airbench's frozen whitening filters) are checked as the parameters are: exactly
 * the names and shapes the model has, every value finite.
 */
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, validateManifest, type Manifest, type TensorEntry } from '../runtime/checkpoint_schema';
import { UPDATE_RULE_NAMES, type UpdateRuleName } from '../src/optim';
import { FIELD_RULES } from './fields';
import { MODELS, type Hyperparameters, type ModelName } from './models';
import type { ExploreKind, ExploreSnapshot, WeightsSnapshot } from './protocol';

/** The largest manifest the page reads (the page's own are a few KB; the scripts' hold histories). */
export const MAX_MODEL_MANIFEST_BYTES = 8 * 2 ** 20;
/** The largest weights file the page reads: the page's memory guard allows 1 GiB for training, a quarter of it weights. */
export const MAX_MODEL_WEIGHTS_BYTES = 256 * 2 ** 20;

type Options = Record<string, unknown>;

interface KindEntry {
  /** The page model that runs it. */
  model: ModelName;
  /** The page's settings from the checkpoint's options, or the reason the page cannot run it. */
  hyper(options: Options, base: Hyperparameters): Hyperparameters | string;
  /** The checkpoint options of a page model. */
  options(h: Hyperparameters, seed: number): Options;
  /** Each parameter's shape for these settings. */
  shapes(h: Hyperparameters): Record<string, number[]>;
}

const numberOr = (o: Options, key: string, fallback: number): number => (typeof o[key] === 'number' ? (o[key] as number) : fallback);

/** The page's images: 32x32 RGB, ten classes. */
function imageProblem(o: Options): string | null {
  const dim = o.inputDim;
  if (dim !== undefined && JSON.stringify(dim) !== '[3,32,32]' && JSON.stringify(dim) !== '[32,32,3]' && dim !== 3072) {
    return `its input is ${JSON.stringify(dim)}, and the page's images are 32x32x3`;
  }
  if (o.numClasses !== undefined && o.numClasses !== 10) return `it has ${String(o.numClasses)} classes, and CIFAR-10 has 10`;
  return null;
}

export const KINDS: Record<string, KindEntry> = {
  SoftmaxModel: {
    model: 'softmax',
    hyper: (o, base) => imageProblem(o) ?? { ...base, reg: numberOr(o, 'reg', base.reg) },
    options: (h, seed) => ({ reg: h.reg, weightScale: 1e-5, seed }),
    shapes: () => ({ W: [3073, 10] }),
  },
  TwoLayerNet: {
    model: 'two_layer_net',
    hyper: (o, base) => imageProblem(o) ?? { ...base, hiddenDim: numberOr(o, 'hiddenDim', 100), reg: numberOr(o, 'reg', base.reg) },
    options: (h, seed) => ({ inputDim: 3072, hiddenDim: h.hiddenDim, numClasses: 10, weightScale: 1e-3, reg: h.reg, seed }),
    shapes: (h) => ({ W1: [3072, h.hiddenDim], b1: [h.hiddenDim], W2: [h.hiddenDim, 10], b2: [10] }),
  },
  ThreeLayerConvNet: {
    model: 'convnet',
    hyper: (o, base) => {
      const problem = imageProblem(o);
      if (problem) return problem;
      if (o.batchnorm === true) return 'it has batchnorm, and the page trains the convnet without';
      const h = { ...base, numFilters: numberOr(o, 'numFilters', 32), filterSize: numberOr(o, 'filterSize', 7), hiddenDim: numberOr(o, 'hiddenDim', 100), reg: numberOr(o, 'reg', base.reg) };
      if (h.filterSize % 2 !== 1) return `its filters are ${h.filterSize}x${h.filterSize}; the page's convnet keeps 32x32 with odd sizes only`;
      return h;
    },
    options: (h, seed) => ({ numFilters: h.numFilters, filterSize: h.filterSize, hiddenDim: h.hiddenDim, numClasses: 10, weightScale: 1e-3, reg: h.reg, batchnorm: false, seed }),
    shapes: (h) => ({
      W1: [h.filterSize, h.filterSize, 3, h.numFilters],
      b1: [h.numFilters],
      W2: [16 * 16 * h.numFilters, h.hiddenDim],
      b2: [h.hiddenDim],
      W3: [h.hiddenDim, 10],
      b3: [10],
    }),
  },
};

/** The widest Airbench group and ResNet width the page loads (airbench94's 256, Page's ResNet-9 at 64): tens of MB. */
export const MAX_EXPLORE_AIRBENCH_WIDTH = 256;
export const MAX_EXPLORE_RESNET_WIDTH = 64;

/** Channels of the Airbench whitening layer for RGB: 2x2 patches of 3 channels, each filter and its negative. */
const AIRBENCH_WHITEN = 2 * 2 * 2 * 3;

/** What the page needs of a kind it explores: the parameters' and the state's shapes, or why it cannot run it. */
interface ExploreEntry {
  shapes(o: Options): { params: Record<string, number[]>; state: Record<string, number[]>; what: string } | string;
}

/** 'a' or 'an' before a kind's name: an Airbench, a ResNet. */
const a = (kind: string): string => `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind}`;

const isIntIn = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** The page's images are 32x32 RGB in ten classes; these models must say so (their defaults do). */
function exploreImageProblem(o: Options): string | null {
  if (o.inputDim !== undefined && JSON.stringify(o.inputDim) !== '[32,32,3]') return `its input is ${JSON.stringify(o.inputDim)}, and the page's images are 32x32x3`;
  if (o.numClasses !== undefined && o.numClasses !== 10) return `it has ${String(o.numClasses)} classes, and CIFAR-10 has 10`;
  return null;
}

/** A batchnorm layer's running statistics, as bn_state names them. */
const running = (layer: number, size: number): Record<string, number[]> => ({ [`runningMean${layer}`]: [size], [`runningVar${layer}`]: [size] });

export const EXPLORE_KINDS: Record<ExploreKind, ExploreEntry> = {
  // src/classifiers/airbench.ts: the whitening conv (frozen filters in state, bias b0), three groups of two 3x3
  // convs each followed by batchnorm (frozen scales, trained shifts beta), the head W7.
  Airbench: {
    shapes: (o) => {
      const problem = exploreImageProblem(o);
      if (problem) return problem;
      const widths = o.widths ?? [64, 128, 128];
      if (!Array.isArray(widths) || widths.length !== 3 || !widths.every((w) => isIntIn(w, 1, MAX_EXPLORE_AIRBENCH_WIDTH))) {
        return `its widths are ${JSON.stringify(widths)}; the page loads three integers from 1 to ${MAX_EXPLORE_AIRBENCH_WIDTH}`;
      }
      const params: Record<string, number[]> = { b0: [AIRBENCH_WHITEN] };
      const state: Record<string, number[]> = { whitenW: [2, 2, 3, AIRBENCH_WHITEN] };
      let cin = AIRBENCH_WHITEN;
      let layer = 1;
      for (const w of widths as number[]) {
        for (let k = 0; k < 2; k++) {
          params[`W${layer}`] = [3, 3, cin, w];
          params[`beta${layer}`] = [w];
          Object.assign(state, running(layer, w));
          cin = w;
          layer++;
        }
      }
      params.W7 = [cin, 10];
      return { params, state, what: `Airbench, widths ${(widths as number[]).join('/')}` };
    },
  },
  // src/classifiers/resnet.ts: eight 3x3 conv-batchnorm layers of width w, 2w, 2w, 2w, 4w, 8w, 8w, 8w (prep,
  // layer 1 and its residual block, layers 2 and 3 and the last residual block), then the affine head.
  ResNet: {
    shapes: (o) => {
      const problem = exploreImageProblem(o);
      if (problem) return problem;
      const width = o.width ?? 16;
      if (!isIntIn(width, 1, MAX_EXPLORE_RESNET_WIDTH)) return `its width is ${JSON.stringify(width)}; the page loads 1 to ${MAX_EXPLORE_RESNET_WIDTH}`;
      const params: Record<string, number[]> = {};
      const state: Record<string, number[]> = {};
      let cin = 3;
      [1, 2, 2, 2, 4, 8, 8, 8].forEach((times, i) => {
        const f = times * width;
        const layer = i + 1;
        Object.assign(params, { [`W${layer}`]: [3, 3, cin, f], [`b${layer}`]: [f], [`gamma${layer}`]: [f], [`beta${layer}`]: [f] });
        Object.assign(state, running(layer, f));
        cin = f;
      });
      Object.assign(params, { W9: [cin, 10], b9: [10] });
      return { params, state, what: `ResNet, width ${width}${o.residual === false ? ' (no skip connections)' : ''}` };
    },
  },
};

function kindOf(model: ModelName): string {
  const kind = Object.keys(KINDS).find((k) => KINDS[k].model === model);
  if (!kind) throw new Error(`model_file: no checkpoint kind for the page model ${model}`);
  return kind;
}

/** A file name for a model: `playground-convnet-it1200`. */
export function modelFileName(w: WeightsSnapshot): string {
  return `playground-${w.model}-it${w.iteration}`;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The two files of a model: the weights (little-endian float32, in the manifest's order) with their SHA-256, and
 * the manifest, which names the weights' digest.
 */
export function writeModelFiles(w: WeightsSnapshot): { manifest: (sha256: string) => string; weights: Promise<{ bytes: Uint8Array; sha256: string }> } {
  const tensors: TensorEntry[] = [];
  let offset = 0;
  const names = Object.keys(w.params);
  for (const name of names) {
    const p = w.params[name];
    tensors.push({ group: 'params', name, shape: [...p.shape], dtype: 'float32', offset, bytes: p.values.length * 4 });
    offset += p.values.length * 4;
  }
  const bytes = new Uint8Array(offset);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const name of names) {
    for (const v of w.params[name].values) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  const kind = kindOf(w.model);
  const manifest = (sha256: string): string => {
    const m: Manifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      byteOrder: 'little-endian',
      model: { kind, options: KINDS[kind].options(w.hyper, 0) },
      run: {
        id: `playground-${Date.now().toString(36)}`,
        playground: { learningRate: w.hyper.learningRate, reg: w.hyper.reg, updateRule: w.hyper.updateRule, batchSize: w.hyper.batchSize },
      },
      epoch: 0,
      iteration: Math.min(w.iteration, 100_000_000),
      solver: null,
      lossHistory: [],
      trainAccHistory: [],
      valAccHistory: [],
      bestValAcc: 0,
      optimizer: null,
      weights: { file: `${modelFileName(w)}.bin`, bytes: offset, sha256 },
      tensors,
    };
    return JSON.stringify(m, null, 1) + '\n';
  };
  return { manifest, weights: sha256Hex(bytes).then((sha256) => ({ bytes, sha256 })) };
}

/** The page's settings the run record holds, each checked; what is missing or refused takes the model's default. */
function recordedSettings(run: unknown, model: ModelName): Hyperparameters {
  const base: Hyperparameters = { ...MODELS[model].defaults };
  const rec = typeof run === 'object' && run !== null ? (run as Record<string, unknown>).playground : undefined;
  if (typeof rec !== 'object' || rec === null) return base;
  const r = rec as Record<string, unknown>;
  for (const field of ['learningRate', 'reg', 'batchSize'] as const) {
    const v = r[field];
    if (typeof v === 'number' && FIELD_RULES[field].ok(v)) base[field] = v;
  }
  if (typeof r.updateRule === 'string' && (UPDATE_RULE_NAMES as readonly string[]).includes(r.updateRule)) base.updateRule = r.updateRule as UpdateRuleName;
  return base;
}

/** A group's tensors read from the weights: exactly the expected names and shapes, float32, every value finite. */
function readGroup(
  manifest: Manifest,
  bytes: Uint8Array,
  group: 'params' | 'state',
  expected: Record<string, number[]>,
  where: { file: string; kind: string },
): Record<string, { shape: number[]; values: Float32Array }> | string {
  const what = group === 'params' ? 'parameters' : 'state tensors';
  const stored = manifest.tensors.filter((t) => t.group === group);
  const names = stored.map((t) => t.name);
  const missing = Object.keys(expected).filter((k) => !names.includes(k));
  const extra = names.filter((k) => !Object.prototype.hasOwnProperty.call(expected, k));
  if (missing.length > 0 || extra.length > 0) {
    const list = (l: string[]) => (l.length > 0 ? l.join(', ') : 'none');
    return `${where.file}'s ${what} are ${list(names)}; ${a(where.kind)} has ${list(Object.keys(expected))}${missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ''}`;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Object.create(null) as Record<string, { shape: number[]; values: Float32Array }>;
  for (const t of stored) {
    if (t.shape.join('x') !== expected[t.name].join('x')) return `${t.name} is [${t.shape}] in ${where.file}; this ${where.kind} needs [${expected[t.name]}]`;
    if (t.dtype !== 'float32') return `${t.name} is ${t.dtype} in ${where.file}; ${what} are float32`;
    const values = new Float32Array(t.bytes / 4);
    for (let i = 0; i < values.length; i++) {
      const v = view.getFloat32(t.offset + 4 * i, true);
      if (!Number.isFinite(v)) return `${t.name} holds ${v} at entry ${i}: ${what} must be finite`;
      values[i] = v;
    }
    out[t.name] = { shape: t.shape, values };
  }
  return out;
}

/** The run's place, for the page's line: 'epoch 10, validation accuracy 0.931'. */
function trainedWhere(manifest: Manifest): string {
  const acc = manifest.valAccHistory[manifest.valAccHistory.length - 1];
  return `epoch ${manifest.epoch}${typeof acc === 'number' ? `, validation accuracy ${acc.toFixed(3)}` : ''}`;
}

export type ModelFileResult = { name: string; weights: WeightsSnapshot } | { name: string; explore: ExploreSnapshot } | { refusal: string };

/**
 * Reads the files a learner chose (a manifest .json and its weights .bin) into weights the worker can load (a page
 * model), a model to explore (one of `npm run train`'s), or one line saying why not.
 */
export async function readModelFiles(files: File[]): Promise<ModelFileResult> {
  const refuse = (what: string) => ({ refusal: `Cannot load the model: ${what}` });
  const jsons = files.filter((f) => f.name.endsWith('.json'));
  const bins = files.filter((f) => f.name.endsWith('.bin'));
  if (files.length !== 2 || jsons.length !== 1 || bins.length !== 1) {
    return refuse(`choose two files together, a manifest (.json) and its weights (.bin); got ${files.map((f) => f.name).join(', ') || 'none'}`);
  }
  const [mf, wf] = [jsons[0], bins[0]];
  if (mf.size > MAX_MODEL_MANIFEST_BYTES) return refuse(`${mf.name} is ${(mf.size / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_MODEL_MANIFEST_BYTES / 2 ** 20} MiB the page reads`);
  if (wf.size > MAX_MODEL_WEIGHTS_BYTES) return refuse(`${wf.name} is ${(wf.size / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_MODEL_WEIGHTS_BYTES / 2 ** 20} MiB the page reads`);
  let manifest: Manifest;
  try {
    manifest = validateManifest(JSON.parse(await mf.text()) as unknown, mf.name);
  } catch (e) {
    return refuse(e instanceof SyntaxError ? `${mf.name} is not JSON (${e.message})` : (e as Error).message.replace(/^loadCheckpoint: /, ''));
  }
  const spec = manifest.model;
  if (!spec) return refuse(`${mf.name} does not say which model it holds`);
  const entry = Object.prototype.hasOwnProperty.call(KINDS, spec.kind) ? KINDS[spec.kind] : undefined;
  const explore = Object.prototype.hasOwnProperty.call(EXPLORE_KINDS, spec.kind) ? EXPLORE_KINDS[spec.kind as ExploreKind] : undefined;
  if (!entry && !explore) {
    return refuse(`${mf.name} holds ${a(spec.kind)}; the page runs ${Object.keys(KINDS).join(', ')} and explores ${Object.keys(EXPLORE_KINDS).join(', ')} (from npm run train)`);
  }
  const options = (typeof spec.options === 'object' && spec.options !== null ? spec.options : {}) as Options;
  const hyper = entry ? entry.hyper(options, recordedSettings(manifest.run, entry.model)) : null;
  if (typeof hyper === 'string') return refuse(`${mf.name} holds ${a(spec.kind)} the page cannot run: ${hyper}`);
  const shapes = explore ? explore.shapes(options) : null;
  if (typeof shapes === 'string') return refuse(`${mf.name} holds ${a(spec.kind)} the page cannot run: ${shapes}`);
  if (wf.size !== manifest.weights.bytes) return refuse(`${wf.name} is ${wf.size} bytes, and ${mf.name} says ${manifest.weights.bytes}: not its weights, or cut short`);
  const bytes = new Uint8Array(await wf.arrayBuffer());
  if ((await sha256Hex(bytes)) !== manifest.weights.sha256) return refuse(`${wf.name}'s SHA-256 differs from the one ${mf.name} records: not its weights, or damaged`);
  const where = { file: mf.name, kind: spec.kind };
  const name = mf.name.replace(/\.json$/, '');
  if (shapes) {
    const params = readGroup(manifest, bytes, 'params', shapes.params, where);
    if (typeof params === 'string') return refuse(params);
    const state = readGroup(manifest, bytes, 'state', shapes.state, where);
    if (typeof state === 'string') return refuse(state);
    const description = `${shapes.what}, trained by npm run train (${trainedWhere(manifest)})`;
    return { name, explore: { kind: spec.kind as ExploreKind, options, params, state, description } };
  }
  if (!entry || !hyper) throw new Error('model_file: unreachable, the kind is either a page model or explored');
  const params = readGroup(manifest, bytes, 'params', entry.shapes(hyper), where);
  if (typeof params === 'string') return refuse(params);
  const weights: WeightsSnapshot = { model: entry.model, hyper, iteration: 0, examplesSeen: 0, initialLoss: null, params };
  return { name, weights };
}
