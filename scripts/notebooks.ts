/**
 * npm run notebooks -- install
 * npm run notebooks -- [--quick] [--out DIR] [--only NAMES] [--timeout S] [--kernel NAME]
 *
 * The course's notebooks in TypeScript (notebooks/*.ipynb, docs/notebooks.md).
 *
 * `install` registers the notebooks' Jupyter kernel: a kernelspec named `cs231n-tfjs` in the user's Jupyter data
 * folder (JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter), which starts
 * notebooks/kernel.ts with this project's Node and tsx. Running it again rewrites the same file; it says where.
 *
 * Without `install`: executes every notebook top to bottom (or those named by --only) with Jupyter's own executor
 * (nbclient, through notebooks/execute.py; Debian: `apt-get install python3-nbclient`), one at a time, and writes the
 * executed copies to --out (default runs/notebooks/). --quick sets CS231N_QUICK=1 in the kernel: small data, as the
 * scripts' --quick. Exits 1 naming the notebook and the cell that failed, after running the rest.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command, InvalidArgumentError } from 'commander';
import { PROJECT_ROOT } from '../learn/impl';

/** The kernel's name in Jupyter; every notebook's metadata names it. */
export const KERNEL_NAME = 'cs231n-tfjs';
export const NOTEBOOKS_DIR = path.join(PROJECT_ROOT, 'notebooks');
/** The course's notebooks, in the course's order. */
export const NOTEBOOKS = [
  'knn',
  'svm',
  'softmax',
  'two_layer_net',
  'features',
  'FullyConnectedNets',
  'BatchNormalization',
  'Dropout',
  'ConvolutionalNetworks',
  'Network_Visualization',
] as const;

/** Seconds one cell may run before the executor stops it. */
export const DEFAULT_CELL_TIMEOUT_S = 600;
/** The Python that has Debian's nbclient: Debian's own, before any other python3 on the PATH (pyenv, a venv). */
const PYTHON_CANDIDATES = ['/usr/bin/python3', 'python3'];

/** Jupyter's per-user data folder, as jupyter_core computes it on Linux and macOS. */
export function jupyterDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Jupyter');
  return path.join(env.XDG_DATA_HOME ? path.resolve(env.XDG_DATA_HOME) : path.join(os.homedir(), '.local', 'share'), 'jupyter');
}

/** The kernelspec (Jupyter's kernel.json) that starts notebooks/kernel.ts in this checkout. */
export function kernelSpec(): Record<string, unknown> {
  const tsx = path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  return {
    argv: [process.execPath, '--import', tsx, path.join(NOTEBOOKS_DIR, 'kernel.ts'), '{connection_file}'],
    display_name: 'TypeScript (cs231n-tfjs)',
    language: 'typescript',
    interrupt_mode: 'signal',
    metadata: { project: PROJECT_ROOT },
  };
}

/** Writes the kernelspec; returns its folder. Idempotent: the same checkout writes the same file. */
export function installKernel(env: NodeJS.ProcessEnv = process.env): string {
  const dir = path.join(jupyterDataDir(env), 'kernels', KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kernel.json');
  const text = `${JSON.stringify(kernelSpec(), null, 2)}\n`;
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  fs.writeFileSync(file, text);
  console.log(`${before === undefined ? 'wrote' : before === text ? 'kept (unchanged)' : 'updated'} the Jupyter kernel '${KERNEL_NAME}': ${file}`);
  console.log(`it runs this checkout's notebooks/kernel.ts (${PROJECT_ROOT}); open notebooks/*.ipynb in Jupyter or VS Code and pick 'TypeScript (cs231n-tfjs)'`);
  return dir;
}

/** The installed kernelspec's complaint, or undefined when it exists and starts this checkout's kernel. */
export function kernelProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = path.join(jupyterDataDir(env), 'kernels', KERNEL_NAME, 'kernel.json');
  if (!fs.existsSync(file)) return `no Jupyter kernel '${KERNEL_NAME}' at ${file}: run \`npm run notebooks -- install\` first`;
  let argv: unknown;
  try {
    argv = (JSON.parse(fs.readFileSync(file, 'utf8')) as { argv?: unknown }).argv;
  } catch {
    return `${file} is not valid JSON: run \`npm run notebooks -- install\` to write it again`;
  }
  const mine = path.join(NOTEBOOKS_DIR, 'kernel.ts');
  if (!Array.isArray(argv) || !argv.includes(mine)) return `the Jupyter kernel '${KERNEL_NAME}' (${file}) starts another checkout's kernel, not ${mine}: run \`npm run notebooks -- install\` here`;
  return undefined;
}

/** The first Python that imports nbclient and nbformat, or undefined. */
export function findPython(): string | undefined {
  for (const py of PYTHON_CANDIDATES) {
    const r = spawnSync(py, ['-c', 'import nbclient, nbformat'], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

export interface RunResult {
  name: string;
  ok: boolean;
  seconds: number;
  /** `cell N (code): what went wrong`, when it failed. */
  failure?: string;
}

/** Executes one notebook into outDir with notebooks/execute.py. */
export function executeNotebook(python: string, source: string, outDir: string, o: { quick: boolean; timeoutS: number; kernel: string }): RunResult {
  const name = path.basename(source);
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (o.quick) env.CS231N_QUICK = '1';
  const r = spawnSync(python, [path.join(NOTEBOOKS_DIR, 'execute.py'), source, path.join(outDir, name), o.kernel, String(o.timeoutS)], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = (Date.now() - started) / 1000;
  if (r.status === 0) return { name, ok: true, seconds };
  const lines = (r.stderr ?? '').split('\n').filter((l) => l.trim() !== '');
  const cellLine = [...lines].reverse().find((l) => /^(cell \d+|before the first cell|the kernel )/.test(l));
  return { name, ok: false, seconds, failure: cellLine ?? lines.slice(-3).join(' | ') ?? `exit status ${r.status}` };
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new InvalidArgumentError(`expected whole seconds from 1 to 3600, got '${v}'`);
  return n;
}

/** --only: names of notebooks (with or without .ipynb), each one of NOTEBOOKS. */
export function selectNotebooks(only: string | undefined): string[] {
  if (only === undefined) return [...NOTEBOOKS];
  const names = only.split(',').map((s) => s.trim().replace(/\.ipynb$/, '')).filter((s) => s !== '');
  for (const n of names) {
    if (!(NOTEBOOKS as readonly string[]).includes(n)) throw new InvalidArgumentError(`--only: no notebook '${n}' (one of ${NOTEBOOKS.join(', ')})`);
  }
  return names;
}

/**
 * Executes notebooks (paths) one after another into outDir, printing a line per notebook; returns every result and
 * the lines that name the failures (`svm.ipynb: cell 9 (...): what went wrong`).
 */
export function runNotebooks(python: string, sources: string[], outDir: string, o: { quick: boolean; timeoutS: number; kernel: string }, log: (line: string) => void = console.log): { results: RunResult[]; failures: string[] } {
  fs.mkdirSync(outDir, { recursive: true });
  const results: RunResult[] = [];
  for (const source of sources) {
    log(`== ${path.basename(source)}`);
    const r = executeNotebook(python, source, outDir, o);
    log(r.ok ? `   ran in ${r.seconds.toFixed(1)} s` : `   FAILED after ${r.seconds.toFixed(1)} s: ${r.failure}`);
    results.push(r);
  }
  return { results, failures: results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.failure}`) };
}

function main(): void {
  const program = new Command('notebooks')
    .description("the course's notebooks in TypeScript: `install` registers their Jupyter kernel; without it, executes them headless")
    .argument('[command]', "'install' registers the kernel")
    .option('--quick', "small data, as the scripts' --quick (sets CS231N_QUICK=1 in the kernel)", false)
    .option('--out <dir>', 'where the executed copies go', path.join('runs', 'notebooks'))
    .option('--only <names>', `comma-separated notebooks to run (default: all: ${NOTEBOOKS.join(', ')})`)
    .option('--timeout <s>', 'seconds one cell may run', parseSeconds, DEFAULT_CELL_TIMEOUT_S)
    .option('--kernel <name>', 'the Jupyter kernel to run them with', KERNEL_NAME)
    .parse();
  const [command] = program.args;
  const opts = program.opts<{ quick: boolean; out: string; only?: string; timeout: number; kernel: string }>();
  if (command === 'install') {
    installKernel();
    return;
  }
  if (command !== undefined) program.error(`unknown command '${command}': the only one is 'install'`);
  let names: string[] = [];
  try {
    names = selectNotebooks(opts.only);
  } catch (err) {
    program.error((err as Error).message);
  }
  if (opts.kernel === KERNEL_NAME) {
    const problem = kernelProblem();
    if (problem) {
      console.error(problem);
      process.exit(2);
    }
  }
  const python = findPython();
  if (!python) {
    console.error("no Python with Jupyter's nbclient and nbformat: install them (Debian: `apt-get install python3-nbclient python3-nbformat`; else `pip install nbclient`)");
    process.exit(2);
  }
  const outDir = path.resolve(opts.out);
  const started = Date.now();
  const sources = names.map((n) => path.join(NOTEBOOKS_DIR, `${n}.ipynb`));
  const { results, failures } = runNotebooks(python, sources, outDir, { quick: opts.quick, timeoutS: opts.timeout, kernel: opts.kernel });
  console.log(`${results.length - failures.length} of ${results.length} notebooks ran in ${((Date.now() - started) / 1000).toFixed(0)} s; executed copies in ${outDir}`);
  for (const f of failures) console.error(f);
  if (failures.length > 0) process.exit(1);
}

if (require.main === module) main();
