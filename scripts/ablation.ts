/**
 * `npm run ablation`: airbench's recipe with one ingredient removed at a time, several seeds each, at a short fixed
 * size (--widths, --epochs), so that what each ingredient buys is measured beside the spread between seeds.
 *
 * Each run is a `npm run train` of its own in runs/ablation/<variant>-seed<k>/ (its log, metrics.json and figures
 * there). A run whose metrics.json is there is done and not run again; one with checkpoints but no metrics is
 * resumed (--resume); so the whole ablation can be stopped and started again, across sessions. After each run,
 * ablation.json and ablation.md in the output folder hold every finished run and the table: test accuracy mean and
 * standard deviation per variant beside the test set's own standard error. Test-time shifts are ablated without
 * training: every run evaluates with flips and shifts, with flips alone, and plain.
 *
 * Usage:
 *   npm run ablation                                  # every variant, 3 seeds, widths 32,64,64, 5 epochs
 *   npm run ablation -- --only recipe,lookahead --seeds 5
 *   npm run ablation -- --quick --seeds 1            # a smoke run: train's --quick sizes
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command, InvalidArgumentError } from 'commander';
import { parseIntegerIn, parsePositiveInt } from './lib/cli';
import { claimOutDir, writeJsonAtomic } from './lib/run_dir';

/** The variants: what each removes and the train flags that remove it. */
export const VARIANTS: readonly { name: string; removes: string; flags: string[] }[] = [
  { name: 'recipe', removes: 'nothing (the recipe)', flags: [] },
  { name: 'whitening', removes: 'patch whitening (the plain 2x2 patch basis instead)', flags: ['--no-whitening'] },
  { name: 'lookahead', removes: 'lookahead (plain Nesterov SGD)', flags: ['--update-rule', 'sgd_nesterov'] },
  { name: 'alternating-flip', removes: 'alternating flip (a random flip per image per epoch)', flags: ['--no-alternating-flip'] },
  { name: 'label-smoothing', removes: 'label smoothing (0 instead of 0.2)', flags: ['--label-smoothing', '0'] },
];

/** What one finished run contributes: its variant and seed and the accuracies its metrics.json holds. */
export interface AblationRun {
  variant: string;
  seed: number;
  test_acc: number;
  test_acc_flips_only: number | null;
  test_acc_without_tta: number | null;
  epochs: number;
  minutes: number;
  dir: string;
}

/** Mean and sample standard deviation (null for fewer than two values). */
export function meanSd(xs: readonly number[]): { mean: number; sd: number | null } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length < 2 ? null : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, sd };
}

/** The standard error of an accuracy p measured on n test images: sqrt(p (1 - p) / n). */
export function testStandardError(p: number, n: number): number {
  return Math.sqrt((p * (1 - p)) / n);
}

/**
 * The table: one row per variant with finished runs (in VARIANTS' order), and the recipe's runs read twice more
 * for test-time augmentation (flips alone, none). Accuracies in percent.
 */
export function ablationTable(runs: readonly AblationRun[], testImages: number): string {
  const pct = (x: number) => (100 * x).toFixed(2);
  const row = (removes: string, accs: number[]) => {
    if (accs.length === 0) return null;
    const { mean, sd } = meanSd(accs);
    return `| ${removes} | ${accs.length} | ${pct(mean)} | ${sd === null ? '-' : pct(sd)} | ${pct(testStandardError(mean, testImages))} | ${accs.map(pct).join(', ')} |`;
  };
  const lines = ['| removed | runs | test accuracy % (mean) | sd between seeds | test set standard error | each run |', '|---|---:|---:|---:|---:|---|'];
  for (const v of VARIANTS) {
    const accs = runs.filter((r) => r.variant === v.name).map((r) => r.test_acc);
    const line = row(v.removes, accs);
    if (line) lines.push(line);
  }
  const recipe = runs.filter((r) => r.variant === 'recipe');
  const flips = recipe.map((r) => r.test_acc_flips_only).filter((x): x is number => x !== null);
  const plain = recipe.map((r) => r.test_acc_without_tta).filter((x): x is number => x !== null);
  for (const [removes, accs] of [
    ['test-time shifts (the recipe\'s runs, flips alone)', flips],
    ['all test-time augmentation (the recipe\'s runs, plain)', plain],
  ] as const) {
    const line = row(removes, accs);
    if (line) lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}

/** A run's result from its metrics.json, or null when it has none (not run, or not finished). Refuses a foreign one. */
export function readRun(dir: string, variant: string, seed: number): AblationRun | null {
  const file = path.join(dir, 'metrics.json');
  if (!fs.existsSync(file)) return null;
  const stat = fs.statSync(file);
  if (!stat.isFile() || stat.size > 16 * 1024 * 1024) throw new Error(`ablation: ${file} is not a metrics file of at most 16 MB`);
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new Error(`ablation: ${file} is not valid JSON (delete that run's folder to run it again)`);
  }
  const num = (k: string) => (typeof m[k] === 'number' && Number.isFinite(m[k]) ? (m[k] as number) : null);
  const acc = num('test_acc');
  if (m.script !== 'train' || m.seed !== seed || acc === null) {
    throw new Error(`ablation: ${file} is not the metrics of a train run with seed ${seed} (delete that run's folder to run it again)`);
  }
  return {
    variant,
    seed,
    test_acc: acc,
    test_acc_flips_only: num('test_acc_flips_only'),
    test_acc_without_tta: num('test_acc_without_tta'),
    epochs: num('epochs') ?? 0,
    minutes: (num('seconds') ?? 0) / 60,
    dir,
  };
}

function parseWidthsList(value: string): string {
  if (!/^\d{1,3},\d{1,3},\d{1,3}$/.test(value)) throw new InvalidArgumentError(`--widths takes three integers separated by commas, e.g. 32,64,64; got '${value}'`);
  return value;
}

function parseOnly(value: string): string[] {
  const names = value.split(',');
  for (const n of names) {
    if (!VARIANTS.some((v) => v.name === n)) throw new InvalidArgumentError(`--only takes variants of ${VARIANTS.map((v) => v.name).join(', ')}; got '${n}'`);
  }
  return names;
}

function main(): void {
  const program = new Command('ablation')
    .description("airbench's recipe with one ingredient removed at a time, several seeds each (resumable)")
    .option('--seeds <n>', 'seeds per variant, 0 to n - 1', parseIntegerIn('--seeds', 1, 20), 3)
    .option('--widths <list>', "airbench's three group widths", parseWidthsList, '32,64,64')
    .option('--epochs <n>', 'epochs of every run', parsePositiveInt('--epochs'), 5)
    .option('--only <variants>', `some of ${VARIANTS.map((v) => v.name).join(', ')} (default all)`, parseOnly)
    .option('--quick', "train's --quick sizes (a smoke run)", false)
    .option('--out <dir>', 'output folder (default runs/ablation/)')
    .showHelpAfterError('(run with --help for usage)');
  program.parse();
  const o = program.opts<{ seeds: number; widths: string; epochs: number; only?: string[]; quick: boolean; out?: string }>();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const outDir = claimOutDir(o.out ?? path.join('runs', 'ablation'), 'ablation', log);
  const variants = VARIANTS.filter((v) => !o.only || o.only.includes(v.name));
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const runs: AblationRun[] = [];
  let testImages = 10000;
  const save = () => {
    writeJsonAtomic(path.join(outDir, 'ablation.json'), { widths: o.widths, epochs: o.epochs, quick: o.quick, runs });
    const table = ablationTable(runs, testImages);
    fs.writeFileSync(path.join(outDir, 'ablation.md'), `widths ${o.widths}, ${o.epochs} epochs${o.quick ? ', --quick' : ''}\n\n${table}`);
    return table;
  };
  for (let seed = 0; seed < o.seeds; seed++) {
    for (const v of variants) {
      const dir = path.join(outDir, `${v.name}-seed${seed}`);
      let run = readRun(dir, v.name, seed);
      if (!run) {
        const resume = fs.existsSync(path.join(dir, 'checkpoints'));
        const args = ['scripts/train.ts', '--out', dir, '--seed', String(seed), '--widths', o.widths, '--epochs', String(o.epochs), '--tta-shifts', '--no-progress', ...v.flags];
        if (o.quick) args.push('--quick');
        if (resume) args.push('--resume');
        log(`ablation: ${v.name}, seed ${seed}${resume ? ' (resuming)' : ''}: tsx ${args.join(' ')}`);
        const started = Date.now();
        const r = spawnSync(tsx, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: path.join(__dirname, '..') });
        if (r.status !== 0) throw new Error(`ablation: the ${v.name} run with seed ${seed} failed (exit ${r.status ?? r.signal}); its log is above, its folder ${dir}`);
        run = readRun(dir, v.name, seed);
        if (!run) throw new Error(`ablation: the ${v.name} run with seed ${seed} ended without ${path.join(dir, 'metrics.json')}`);
        log(`ablation: ${v.name}, seed ${seed}: test accuracy ${run.test_acc.toFixed(4)} in ${((Date.now() - started) / 60000).toFixed(1)} min`);
      }
      const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as { data?: { test?: number } };
      testImages = metrics.data?.test ?? testImages;
      runs.push(run);
      save();
    }
  }
  process.stdout.write(`\n${save()}`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
