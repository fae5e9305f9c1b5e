/**
 * The page's whole state in its address, so that a run can be shared and survives a backend switch: the model,
 * every hyperparameter, the backend, and the session's settings (seed, subset sizes, accuracy-check interval).
 *
 *   ?model=convnet&lr=1e-3&reg=1e-3&rule=adam&batch=25&hidden=100&filters=32&filterSize=7&backend=wasm
 *   &seed=0&train=5000&val=500&evalEvery=25
 *
 * Every value is checked; one that does not parse or is out of range is refused with one line naming it, and the
 * default is used instead.
 */
import { UPDATE_RULE_NAMES, type UpdateRuleName } from '../src/optim';
import { isPageBackend, type PageBackend } from './backend';
import { isModelName, MAX_FILTER_SIZE, MODELS, type Hyperparameters, type ModelName } from './models';

export interface SessionSettings {
  seed: number;
  train: number;
  val: number;
  evalEvery: number;
}

export interface UrlState {
  model: ModelName;
  hyper: Hyperparameters;
  /** The backend named in the address, or null (the page picks). */
  backend: PageBackend | null;
  session: SessionSettings;
  /** One line per refused parameter. */
  refused: string[];
}

export const DEFAULT_SESSION: SessionSettings = { seed: 0, train: 5000, val: 500, evalEvery: 25 };

/** The URL parameter of each hyperparameter. */
const HYPER_KEYS: Record<keyof Hyperparameters, string> = {
  learningRate: 'lr',
  reg: 'reg',
  updateRule: 'rule',
  batchSize: 'batch',
  hiddenDim: 'hidden',
  numFilters: 'filters',
  filterSize: 'filterSize',
};

/** A number written in decimal: an optional sign, digits with an optional point, an optional exponent (1e-3). */
const DECIMAL = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Longest parameter value read: nothing the page takes needs more. */
const MAX_VALUE_LENGTH = 32;

type Check = { ok: (v: number) => boolean; expected: string };
const positiveInt = (max: number): Check => ({ ok: (v) => Number.isInteger(v) && v >= 1 && v <= max, expected: `an integer from 1 to ${max}` });

const NUMBER_CHECKS: Record<string, Check> = {
  lr: { ok: (v) => v > 0 && v <= 1e38, expected: 'a number above 0 and at most 1e38' },
  reg: { ok: (v) => v >= 0 && v <= 1e9, expected: 'a number from 0 to 1e9' },
  batch: positiveInt(5000),
  hidden: positiveInt(1000000),
  filters: positiveInt(512),
  filterSize: { ok: (v) => Number.isInteger(v) && v >= 1 && v <= MAX_FILTER_SIZE && v % 2 === 1, expected: `an odd integer from 1 to ${MAX_FILTER_SIZE}` },
  seed: { ok: (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31, expected: 'an integer from 0 to 2^31 - 1' },
  train: positiveInt(9000),
  val: positiveInt(1000),
  evalEvery: positiveInt(10000),
};

/** Reads and checks the address's parameters. */
export function readUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const refused: string[] = [];
  const raw = (key: string): string | null => {
    const v = params.get(key);
    if (v === null) return null;
    if (v.length > MAX_VALUE_LENGTH) {
      refused.push(`?${key}= is ${v.length} characters long; refused (at most ${MAX_VALUE_LENGTH})`);
      return null;
    }
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = raw(key);
    if (v === null) return fallback;
    const x = Number(v.trim());
    const check = NUMBER_CHECKS[key];
    // Decimal only: Number() would also read '0x10' as 16 and '0b11' as 3.
    if (!DECIMAL.test(v) || !Number.isFinite(x) || !check.ok(x)) {
      refused.push(`?${key}=${v} refused: it must be ${check.expected}; using ${fallback}`);
      return fallback;
    }
    return x;
  };

  const askedModel = raw('model');
  let model: ModelName = 'softmax';
  if (askedModel !== null) {
    if (isModelName(askedModel)) model = askedModel;
    else refused.push(`?model=${askedModel} refused: it must be one of softmax, two_layer_net, convnet; using softmax`);
  }
  const d = MODELS[model].defaults;
  const askedRule = raw('rule');
  let updateRule: UpdateRuleName = d.updateRule;
  if (askedRule !== null) {
    if ((UPDATE_RULE_NAMES as readonly string[]).includes(askedRule)) updateRule = askedRule as UpdateRuleName;
    else refused.push(`?rule=${askedRule} refused: it must be one of ${UPDATE_RULE_NAMES.join(', ')}; using ${d.updateRule}`);
  }
  const hyper: Hyperparameters = {
    learningRate: num('lr', updateRule === d.updateRule ? d.learningRate : MODELS[model].rates[updateRule]),
    reg: num('reg', d.reg),
    updateRule,
    batchSize: num('batch', d.batchSize),
    hiddenDim: num('hidden', d.hiddenDim),
    numFilters: num('filters', d.numFilters),
    filterSize: num('filterSize', d.filterSize),
  };
  const askedBackend = raw('backend');
  let backend: PageBackend | null = null;
  if (askedBackend !== null) {
    if (isPageBackend(askedBackend)) backend = askedBackend;
    else refused.push(`?backend=${askedBackend} refused: it must be webgl, wasm or cpu; the page picks`);
  }
  const session: SessionSettings = {
    seed: num('seed', DEFAULT_SESSION.seed),
    train: num('train', DEFAULT_SESSION.train),
    val: num('val', DEFAULT_SESSION.val),
    evalEvery: num('evalEvery', DEFAULT_SESSION.evalEvery),
  };
  return { model, hyper, backend, session, refused };
}

/** The address's query for a state (the session's settings only where they differ from the defaults). */
export function urlQuery(model: ModelName, hyper: Hyperparameters, backend: PageBackend | null, session: SessionSettings): string {
  const p = new URLSearchParams();
  p.set('model', model);
  for (const [field, key] of Object.entries(HYPER_KEYS)) p.set(key, String(hyper[field as keyof Hyperparameters]));
  if (backend) p.set('backend', backend);
  for (const [k, v] of Object.entries(session)) if (v !== DEFAULT_SESSION[k as keyof SessionSettings]) p.set(k, String(v));
  return `?${p.toString()}`;
}
