/**
 * npm run bench [-- --only NAME[,NAME]] [--backend wasm|cpu|node] [--compare-autodiff] [--peak] [--parallel] [--profile] [--seed N]
 *
 * Times the workloads of bench/README.md with the library's own code (hand-written layers on tfjs
 * kernels) and prints one JSON object per workload on stdout, nothing else:
 *
 *   {"name":"conv3.step","ms":123.4,"runs":10,"backend":"wasm","minMs":...,"gflops":...,"rssPeakMB":...}
 *
 * `ms` is the median of `runs` timed runs after one untimed warm-up, each ending with one scalar read back. The
 * extra keys are described in bench/harness.ts (memory) and docs/performance.md (FLOP rates). Progress
 * and notes go to stderr.
 *
 * --compare-autodiff also times twolayer.epoch, fc_bn.epoch and conv3.step with gradients from tf.valueAndGrads
 * of the reference twins (`<name>.autodiff`). On wasm, where tf.grad through conv2d has no filter-gradient kernel,
 * the conv3.step.autodiff line carries an "error", and conv3.step.autodiff.patched times autodiff with that one
 * kernel supplied by the bench (bench/wasm_filter_gradient.ts).
 *
 * --only resnet.step (or airbench.step, `npm run train`'s default net) times one training step of that net, each run followed by a 2048^3 matMul, and
 * reports both rates and their ratio (bench/step_workloads.ts). --profile adds one more run under tf.profile: its
 * kernels with calls, ms and share, as a "profile" key and as a markdown table on stderr.
 *
 * --parallel also times knn.dists and features.extract split over worker_threads, one per core
 * (`<name>.parallel`, bench/parallel.ts); --peak times one large matMul and conv2d alone, the backend's
 * ceiling.
 *
 * With several workloads, each runs in its own child process, so that one workload's memory (the wasm heap
 * never shrinks) does not count against the next and every memory figure belongs to one workload.
 * BENCH_SCALE (specs only) shrinks every sample count by that factor; such lines carry "scale".
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { Command, InvalidArgumentError } from 'commander';
import { currentBackend, initBackendAndReport } from '../runtime/backend';
import { BenchResult, Workload, emit, errorResult, timeWorkload } from './harness';
import { knnDists, linearTrain, softmaxLossGrad, svmLossGrad } from './linear_workloads';
import { conv3Step, fcBnEpoch, twolayerEpoch } from './net_workloads';
import { airbenchStep, resnetStep } from './step_workloads';
import { featuresExtract } from './feature_workloads';
import { conv2dPeak, matmulPeak } from './peak_workloads';
import { featuresExtractParallel, knnDistsParallel } from './parallel';
import { parseScriptBackend, parseSeed } from '../scripts/lib/cli';

/** The workloads of bench/README.md, in its order. */
const WORKLOADS = ['knn.dists', 'svm.loss_grad', 'softmax.loss_grad', 'linear.train', 'twolayer.epoch', 'fc_bn.epoch', 'conv3.step', 'features.extract'] as const;
/** Backend ceilings, printed with --peak or when named in --only. */
const PEAKS = ['matmul.peak', 'conv2d.peak'] as const;
/** Training steps of `npm run train`'s nets against the backend's matMul (bench/step_workloads.ts), run when named in --only. */
const STEPS = ['resnet.step', 'airbench.step'] as const;
const KNOWN: readonly string[] = [...WORKLOADS, ...PEAKS, ...STEPS];
const BACKENDS = ['node', 'wasm', 'cpu'] as const;

interface BenchOptions {
  only?: string[];
  backend?: string;
  compareAutodiff: boolean;
  peak: boolean;
  parallel: boolean;
  seed: number;
  inProcess: boolean;
  profile: boolean;
}

function parseOnly(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !KNOWN.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`--only takes names from ${KNOWN.join(', ')}; got '${value}'`);
  }
  return names;
}

function parseScale(env: NodeJS.ProcessEnv): number {
  const raw = env.BENCH_SCALE;
  if (raw === undefined || raw === '') return 1;
  const s = Number(raw);
  if (!(s > 0 && s <= 1)) throw new Error(`BENCH_SCALE must be a number in (0, 1], got '${raw}'`);
  return s;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Whether tf.grad through conv2d can run here: it needs the filter-gradient kernel, which wasm lacks. */
function hasConvFilterGradient(): boolean {
  return tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
}

/** What one name times: the workload itself and, with --compare-autodiff, its autodiff variants. */
function variantsOf(name: string, { compareAutodiff, parallel }: BenchOptions): Array<Workload | BenchResult> {
  switch (name) {
    case 'knn.dists':
      return parallel ? [knnDists, knnDistsParallel()] : [knnDists];
    case 'svm.loss_grad':
      return [svmLossGrad];
    case 'softmax.loss_grad':
      return [softmaxLossGrad];
    case 'linear.train':
      return [linearTrain];
    case 'twolayer.epoch':
      return compareAutodiff ? [twolayerEpoch(), twolayerEpoch(true)] : [twolayerEpoch()];
    case 'fc_bn.epoch':
      return compareAutodiff ? [fcBnEpoch(), fcBnEpoch(true)] : [fcBnEpoch()];
    case 'conv3.step':
      if (!compareAutodiff) return [conv3Step()];
      if (hasConvFilterGradient()) return [conv3Step(), conv3Step('autodiff')];
      return [
        conv3Step(),
        errorResult(
          'conv3.step.autodiff',
          0,
          `Conv2DBackpropFilter is not registered for ${tf.getBackend()} (tensorflow/tfjs#8474), so tf.grad through conv2d cannot run; ` +
            'conv3.step.autodiff.patched supplies that one kernel',
        ),
        conv3Step('autodiff-patched'),
      ];
    case 'features.extract':
      return parallel ? [featuresExtract, featuresExtractParallel()] : [featuresExtract];
    case 'matmul.peak':
      return [matmulPeak];
    case 'conv2d.peak':
      return [conv2dPeak];
    case 'resnet.step':
      return [resnetStep()];
    case 'airbench.step':
      return [airbenchStep()];
    default:
      throw new Error(`bench: unknown workload '${name}'`);
  }
}

/** Runs the named workloads here, one after another. Returns false if any failed. */
async function runHere(names: string[], o: BenchOptions, scale: number): Promise<boolean> {
  await initBackendAndReport(o.backend, log);
  if (scale !== 1) log(`BENCH_SCALE=${scale}: sample counts shrunk for a spec; these are not the sizes of bench/README.md`);
  let ok = true;
  for (const name of names) {
    for (const v of variantsOf(name, o)) {
      if (!('setup' in v)) {
        log(`${v.name}: ${v.error}`);
        emit(v);
        continue;
      }
      try {
        emit(await timeWorkload(v, { seed: o.seed, scale, log, profile: o.profile }));
      } catch (err) {
        ok = false;
        log(`${v.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        emit(errorResult(v.name, v.runs, err));
      }
    }
  }
  log(`bench: done on ${currentBackend()}`);
  return ok;
}

/** Runs each named workload in a child process of this script, forwarding its JSON lines. */
async function runIsolated(names: string[], o: BenchOptions): Promise<boolean> {
  const tsxCli = require.resolve('tsx/cli');
  let ok = true;
  for (const name of names) {
    const args = ['--only', name, '--seed', String(o.seed)];
    if (o.backend) args.push('--backend', o.backend);
    if (o.compareAutodiff) args.push('--compare-autodiff');
    if (o.parallel) args.push('--parallel');
    if (o.profile) args.push('--profile');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [tsxCli, __filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (chunk: Buffer) => process.stdout.write(chunk));
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      ok = false;
      log(`bench: ${name} exited with code ${code}`);
    }
  }
  return ok;
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('times the bench/README.md workloads with the library code; JSON lines on stdout')
    .option('--only <names>', `comma-separated subset of: ${KNOWN.join(', ')}`, parseOnly)
    .option('--backend <name>', `tfjs backend: ${BACKENDS.join(' | ')} (default: TFJS_BACKEND, else node, wasm, cpu)`, parseScriptBackend)
    .option('--compare-autodiff', 'also time twolayer.epoch, fc_bn.epoch, conv3.step with autodiff gradients', false)
    .option('--peak', `also time the backend ceilings (${PEAKS.join(', ')})`, false)
    .option('--parallel', 'also time knn.dists and features.extract split over worker_threads, one per core', false)
    .option('--seed <n>', 'seed of the random inputs', parseSeed('--seed'), 0)
    .option('--profile', 'after timing, profile one more run kernel by kernel (a "profile" key, and a table on stderr)', false)
    .option('--in-process', 'run every workload in this process instead of one child process each', false)
    .showHelpAfterError('(run with --help for usage)');
  program.parse();
  const o = program.opts<BenchOptions>();
  const scale = parseScale(process.env);
  const names = o.only ?? [...WORKLOADS, ...(o.peak ? PEAKS : [])];
  if (names.length > 1 && !o.inProcess) {
    const [m1, m5, m15] = os.loadavg().map((x) => x.toFixed(2));
    log(`bench: ${names.length} workloads, each in its own process; ${os.cpus()[0]?.model ?? 'unknown cpu'} x ${os.cpus().length}, load average ${m1} ${m5} ${m15}`);
    if (!(await runIsolated(names, o))) process.exitCode = 1;
    return;
  }
  if (!(await runHere(names, o, scale))) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
