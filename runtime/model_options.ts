/**
 * Bounds on the constructor options of the models a checkpoint may rebuild, checked before any model is built from
 * a file. A checkpoint is a file from outside: a ResNet of width 1500 or a ConvNet block of a million filters
 * would allocate gigabytes before anything else could object, so every size has a ceiling well above what the
 * course trains (ResNet width 16 to 64, ConvNet blocks of 32 to 256 filters) and far below what exhausts memory.
 *
 * Kinds listed here are the models the project checkpoints; a kind not listed (a test's own model) is checked only
 * as plain JSON (see checkpoint_schema.ts), and a loader that builds models must refuse kinds it does not know.
 */

/** One field's rule: what it must be. */
type Rule =
  | { int: [number, number] }
  | { num: [number, number] }
  | { bool: true }
  | { oneOf: readonly string[] }
  | { intList: [number, number]; maxLength: number }
  | { dims3: [number, number] }
  | { blocks: [number, number]; maxLength: number }
  | { numOrNull: [number, number] };

const SEED: Rule = { int: [0, 2 ** 32 - 1] };
const REG: Rule = { num: [0, 1e3] };
const CLASSES: Rule = { int: [1, 1000] };
const IMAGE: Rule = { dims3: [1, 256] };

/** Each known model kind's options and their bounds (inclusive). Options not listed are refused. */
export const MODEL_OPTION_BOUNDS: Readonly<Record<string, Readonly<Record<string, Rule>>>> = {
  TwoLayerNet: { inputDim: { int: [1, 65536] }, hiddenDim: { int: [1, 8192] }, numClasses: CLASSES, weightScale: { num: [0, 100] }, reg: REG, seed: SEED },
  FullyConnectedNet: {
    hiddenDims: { intList: [1, 8192], maxLength: 16 },
    inputDim: { int: [1, 65536] },
    numClasses: CLASSES,
    dropoutKeepRatio: { num: [0, 1] },
    normalization: { oneOf: ['none', 'batchnorm', 'layernorm'] },
    reg: REG,
    weightScale: { num: [0, 100] },
    seed: SEED,
    dropoutSeed: SEED,
  },
  ThreeLayerConvNet: {
    inputDim: IMAGE,
    numFilters: { int: [1, 512] },
    filterSize: { int: [1, 11] },
    hiddenDim: { int: [1, 8192] },
    numClasses: CLASSES,
    weightScale: { num: [0, 100] },
    reg: REG,
    batchnorm: { bool: true },
    seed: SEED,
  },
  ConvNet: {
    inputDim: IMAGE,
    blocks: { blocks: [1, 512], maxLength: 16 },
    filterSize: { int: [1, 11] },
    hiddenDims: { intList: [1, 8192], maxLength: 8 },
    numClasses: CLASSES,
    batchnorm: { bool: true },
    reg: REG,
    weightScale: { numOrNull: [0, 100] },
    seed: SEED,
  },
  Airbench: {
    inputDim: IMAGE,
    widths: { intList: [1, 512], maxLength: 3 },
    numClasses: CLASSES,
    labelSmoothing: { num: [0, 1] },
    bnMomentum: { num: [0, 1] },
    scoreScale: { num: [0, 1e3] },
    whiteningEps: { num: [0, 1] },
    seed: SEED,
  },
  ResNet: { inputDim: IMAGE, width: { int: [1, 128] }, numClasses: CLASSES, residual: { bool: true }, labelSmoothing: { num: [0, 1] }, reg: REG, seed: SEED },
};

const inRange = (v: unknown, [lo, hi]: [number, number], integer: boolean): boolean =>
  typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) && v >= lo && v <= hi;

/** What a rule asks for, in words, for a message. */
function describe(rule: Rule): string {
  if ('int' in rule) return `an integer from ${rule.int[0]} to ${rule.int[1]}`;
  if ('num' in rule) return `a number from ${rule.num[0]} to ${rule.num[1]}`;
  if ('numOrNull' in rule) return `null or a number from ${rule.numOrNull[0]} to ${rule.numOrNull[1]}`;
  if ('bool' in rule) return 'true or false';
  if ('oneOf' in rule) return `one of ${rule.oneOf.join(', ')}`;
  if ('intList' in rule) return `at most ${rule.maxLength} integers from ${rule.intList[0]} to ${rule.intList[1]}`;
  if ('dims3' in rule) return `[H, W, C], each an integer from ${rule.dims3[0]} to ${rule.dims3[1]}`;
  return `at most ${rule.maxLength} blocks { filters: ${rule.blocks[0]} to ${rule.blocks[1]}, pool?: true or false }`;
}

function obeys(v: unknown, rule: Rule): boolean {
  if ('int' in rule) return inRange(v, rule.int, true);
  if ('num' in rule) return inRange(v, rule.num, false);
  if ('numOrNull' in rule) return v === null || inRange(v, rule.numOrNull, false);
  if ('bool' in rule) return typeof v === 'boolean';
  if ('oneOf' in rule) return typeof v === 'string' && rule.oneOf.includes(v);
  if ('intList' in rule) return Array.isArray(v) && v.length <= rule.maxLength && v.every((x) => inRange(x, rule.intList, true));
  if ('dims3' in rule) return Array.isArray(v) && v.length === 3 && v.every((x) => inRange(x, rule.dims3, true));
  return (
    Array.isArray(v) &&
    v.length >= 1 &&
    v.length <= rule.maxLength &&
    v.every(
      (b) =>
        typeof b === 'object' &&
        b !== null &&
        !Array.isArray(b) &&
        Object.keys(b).every((k) => k === 'filters' || k === 'pool') &&
        inRange((b as { filters?: unknown }).filters, rule.blocks, true) &&
        ['undefined', 'boolean'].includes(typeof (b as { pool?: unknown }).pool),
    )
  );
}

/**
 * Problems with a known model kind's options, one line each (empty when they are within bounds, or the kind is
 * not one of MODEL_OPTION_BOUNDS). options: the options as read from the file (undefined: the defaults).
 */
export function modelOptionProblems(kind: string, options: unknown): string[] {
  const bounds = Object.hasOwn(MODEL_OPTION_BOUNDS, kind) ? MODEL_OPTION_BOUNDS[kind] : undefined;
  if (bounds === undefined || options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return [`${kind} options must be an object, got ${JSON.stringify(options)}`];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(bounds, name)) {
      problems.push(`${kind} has no option '${name}' (its options: ${Object.keys(bounds).join(', ')})`);
    } else if (value !== undefined && !obeys(value, bounds[name])) {
      problems.push(`${kind} option '${name}' must be ${describe(bounds[name])}, got ${JSON.stringify(value).slice(0, 80)}`);
    }
  }
  return problems;
}
