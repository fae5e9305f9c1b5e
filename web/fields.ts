/**
 * The page's fields and its address: one definition per setting (its URL key, its label, what it accepts), read
 * by one parser whether the text comes from a field the learner typed in or from the address, so that both
 * refuse the same values with the same line.
 *
 *   ?model=convnet&lr=1e-4&reg=1e-3&rule=adam&batch=25&hidden=100&filters=32&filterSize=7&backend=wasm
 *   &seed=0&train=5000&val=500&evalEvery=25
 *
 * Numbers are plain decimals (`1e-3`, `0.001`, `25`): `0x10`, `Infinity`, `1_000` and the empty string are refused,
 * although JavaScript's Number() reads some of them. A value that is refused is named in one line and its default
 * used instead.
 */
import { UPDATE_RULE_NAMES, type UpdateRuleName } from '../src/optim';
import { isPageBackend, type PageBackend } from './backend';
import { isModelName, MAX_FILTER_SIZE, MODELS, type Hyperparameters, type ModelName } from './models';

/** The numeric fields of the controls. */
export type NumericField = 'learningRate' | 'reg' | 'batchSize' | 'hiddenDim' | 'numFilters' | 'filterSize';
export const NUMERIC_FIELDS: readonly NumericField[] = ['learningRate', 'reg', 'batchSize', 'hiddenDim', 'numFilters', 'filterSize'];
/** Fields a running model takes without new weights. */
export const LIVE_FIELDS: readonly (keyof Hyperparameters)[] = ['learningRate', 'reg', 'updateRule', 'batchSize'];
/** Fields that need new weights. */
export const ARCHITECTURE_FIELDS: readonly NumericField[] = ['hiddenDim', 'numFilters', 'filterSize'];

export interface SessionSettings {
  seed: number;
  train: number;
  val: number;
  evalEvery: number;
}
export const DEFAULT_SESSION: SessionSettings = { seed: 0, train: 5000, val: 500, evalEvery: 25 };

interface Rule {
  /** The address's key. */
  key: string;
  /** The name a refusal uses. */
  label: string;
  ok: (v: number) => boolean;
  expected: string;
}

const positiveInt = (key: string, label: string, max: number): Rule => ({
  key,
  label,
  ok: (v) => Number.isInteger(v) && v >= 1 && v <= max,
  expected: `an integer from 1 to ${max}`,
});

export const FIELD_RULES: Record<NumericField, Rule> = {
  learningRate: { key: 'lr', label: 'learning rate', ok: (v) => v > 0 && v <= 1e38, expected: 'a number above 0 and at most 1e38 (e.g. 1e-3)' },
  reg: { key: 'reg', label: 'regularisation', ok: (v) => v >= 0 && v <= 1e9, expected: 'a number from 0 to 1e9' },
  batchSize: positiveInt('batch', 'batch size', 5000),
  hiddenDim: positiveInt('hidden', 'hidden units', 1000000),
  numFilters: positiveInt('filters', 'filters', 512),
  filterSize: {
    key: 'filterSize',
    label: 'filter size',
    ok: (v) => Number.isInteger(v) && v >= 1 && v <= MAX_FILTER_SIZE && v % 2 === 1,
    expected: `an odd integer from 1 to ${MAX_FILTER_SIZE}`,
  },
};

const SESSION_RULES: Record<keyof SessionSettings, Rule> = {
  seed: { key: 'seed', label: 'seed', ok: (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31, expected: 'an integer from 0 to 2^31 - 1' },
  train: positiveInt('train', 'training images', 9000),
  val: positiveInt('val', 'validation images', 1000),
  evalEvery: positiveInt('evalEvery', 'accuracy-check interval', 10000),
};

/** Longest value read, in a field or the address: nothing the page takes needs more. */
export const MAX_VALUE_LENGTH = 32;
/** Longest query the page reads; a longer one is refused whole (the server refuses far longer ones). */
export const MAX_QUERY_LENGTH = 1024;

/** A plain decimal number: digits, one optional point, an optional exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a text holds, or null when it is not a plain decimal (see the file comment). */
export function parseDecimal(text: string): number | null {
  const t = text.trim();
  if (t.length === 0 || t.length > MAX_VALUE_LENGTH || !DECIMAL.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

function parseWith(rule: Rule, text: string): { ok: true; value: number } | { ok: false; message: string } {
  const v = parseDecimal(text);
  if (v === null || !rule.ok(v)) {
    const shown = text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}… (${text.length} characters)` : text;
    return { ok: false, message: `${rule.label} must be ${rule.expected}, got '${shown}'` };
  }
  return { ok: true, value: v };
}

/** One field's text, checked. */
export function parseField(field: NumericField, text: string): { ok: true; value: number } | { ok: false; message: string } {
  return parseWith(FIELD_RULES[field], text);
}

/** The controls as the learner left them: the model, the update rule and each numeric field's text. */
export interface FieldTexts {
  model: ModelName;
  updateRule: UpdateRuleName;
  text: Record<NumericField, string>;
}

export function fieldTexts(model: ModelName, h: Hyperparameters): FieldTexts {
  const text = Object.fromEntries(NUMERIC_FIELDS.map((f) => [f, String(h[f])])) as Record<NumericField, string>;
  return { model, updateRule: h.updateRule, text };
}

/** The hyperparameters the fields hold, or the first field that does not parse. */
export function readFields(f: FieldTexts): { ok: true; hyper: Hyperparameters } | { ok: false; field: NumericField; message: string } {
  const out: Record<string, number | string> = { updateRule: f.updateRule };
  for (const field of NUMERIC_FIELDS) {
    const r = parseField(field, f.text[field]);
    if (!r.ok) return { ok: false, field, message: r.message };
    out[field] = r.value;
  }
  return { ok: true, hyper: out as unknown as Hyperparameters };
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

/** Reads and checks the address's query (`location.search`). */
export function readUrlState(search: string): UrlState {
  const refused: string[] = [];
  if (search.length > MAX_QUERY_LENGTH) {
    refused.push(`The address's query is ${search.length} characters long; refused whole (at most ${MAX_QUERY_LENGTH}): using the defaults`);
    search = '';
  }
  const params = new URLSearchParams(search);
  const raw = (key: string): string | null => {
    const v = params.get(key);
    if (v === null) return null;
    if (v.length > MAX_VALUE_LENGTH) {
      refused.push(`?${key}= is ${v.length} characters long; refused (at most ${MAX_VALUE_LENGTH})`);
      return null;
    }
    return v;
  };
  const num = (rule: Rule, fallback: number): number => {
    const v = raw(rule.key);
    if (v === null) return fallback;
    const r = parseWith(rule, v);
    if (!r.ok) {
      refused.push(`?${rule.key}=${v} refused: it must be ${rule.expected}; using ${fallback}`);
      return fallback;
    }
    return r.value;
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
  const fallback: Hyperparameters = { ...d, updateRule, learningRate: updateRule === d.updateRule ? d.learningRate : MODELS[model].rates[updateRule] };
  const hyper = { ...fallback };
  for (const field of NUMERIC_FIELDS) hyper[field] = num(FIELD_RULES[field], fallback[field]);
  const askedBackend = raw('backend');
  let backend: PageBackend | null = null;
  if (askedBackend !== null) {
    if (isPageBackend(askedBackend)) backend = askedBackend;
    else refused.push(`?backend=${askedBackend} refused: it must be webgl, wasm or cpu; the page picks`);
  }
  const session = { ...DEFAULT_SESSION };
  for (const k of Object.keys(SESSION_RULES) as (keyof SessionSettings)[]) session[k] = num(SESSION_RULES[k], DEFAULT_SESSION[k]);
  return { model, hyper, backend, session, refused };
}

/** The address's query for a state (the session's settings only where they differ from the defaults). */
export function urlQuery(model: ModelName, hyper: Hyperparameters, backend: PageBackend | null, session: SessionSettings): string {
  const p = new URLSearchParams();
  p.set('model', model);
  p.set('lr', String(hyper.learningRate));
  p.set('reg', String(hyper.reg));
  p.set('rule', hyper.updateRule);
  for (const field of ['batchSize', 'hiddenDim', 'numFilters', 'filterSize'] as const) p.set(FIELD_RULES[field].key, String(hyper[field]));
  if (backend) p.set('backend', backend);
  for (const k of Object.keys(SESSION_RULES) as (keyof SessionSettings)[]) if (session[k] !== DEFAULT_SESSION[k]) p.set(k, String(session[k]));
  return `?${p.toString()}`;
}
