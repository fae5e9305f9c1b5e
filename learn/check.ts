/**
 * `npm run check [-- ids...] [--watch] [--timeout <s>]`: runs the checks of the learner's exercises
 * (learn/checks/, each exercise in a worker thread with a time limit: learn/run_checks.ts) and prints one line per
 * exercise, then the progress and what to do next. Exit status 1 while any checked exercise does not pass. Words
 * pick exercises by id or part of one (`affine` = affine_forward and affine_backward). --watch reruns in a fresh
 * process whenever a workspace file changes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, ChildProcess } from 'node:child_process';
import { Command, InvalidArgumentError } from 'commander';
import { WorkspaceError, checkWorkspaceDir, workspaceDir } from './impl';
import { EXERCISES, selectExercises } from './manifest';
import { initCommand } from './next_step';
import { Outcome, runChecks, stopAllWorkers } from './run_checks';

/** Seconds one exercise's check may run by default: about ten times the slowest check on a busy 2-core machine. */
export const DEFAULT_TIMEOUT_S = 30;

/** One line for an exercise's outcome. */
export function formatOutcome(o: Outcome, dir: string): string {
  const id = o.exercise.id.padEnd(28);
  const s = o.status;
  switch (s.kind) {
    case 'pass':
      return `  pass   ${o.exercise.id}${s.note ? ` ${s.note}` : ''}`;
    case 'missing':
      return `  MISSING ${o.exercise.id.padEnd(27)} ${path.join(dir, s.file)} is not in your workspace, so nothing was checked: \`${initCommand(dir)}\` writes it`;
    case 'todo':
      return `  todo   ${id} write ${s.fn} in ${path.join(dir, o.exercise.file)}`;
    case 'waits':
      return `  todo   ${id} needs ${s.on} first (${s.fn} is not implemented yet)`;
    case 'fails':
      return `  FAILS  ${id} ${s.message}`;
  }
}

/** The progress line: `14 of 37 exercises pass; next: batchnorm_backward_alt (docs/batchnorm.md)`. */
export function progressLine(outcomes: readonly Outcome[]): string {
  const passed = outcomes.filter((o) => o.status.kind === 'pass').length;
  const next = outcomes.find((o) => o.status.kind !== 'pass');
  const head = `${passed} of ${outcomes.length} exercises pass`;
  return next ? `${head}; next: ${next.exercise.id} (docs/${next.exercise.doc})` : `${head}; all done`;
}

/** dir relative to the current folder when it lies inside it, else absolute. */
function shortPath(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
}

async function checkOnce(ids: string[], dir: string, timeoutS: number): Promise<number> {
  const selected = selectExercises(ids);
  const parallel = Math.min(2, os.availableParallelism());
  const outcomes = await runChecks(selected, { dir, timeoutS, parallel, onOutcome: (o) => stopping || console.log(formatOutcome(o, shortPath(dir))) });
  console.log(progressLine(outcomes));
  return outcomes.every((o) => o.status.kind === 'pass') ? 0 : 1;
}

/** Set when a signal stops the checker. */
let stopping = false;

/** The --watch mode's current child run, if any. */
let watchChild: ChildProcess | undefined;

function watch(args: string[]): void {
  let timer: NodeJS.Timeout | undefined;
  const dir = args[args.indexOf('--dir') + 1];
  const run = (): void => {
    watchChild?.kill();
    console.log(`\n--- ${new Date().toLocaleTimeString()}: checking ${dir}`);
    watchChild = spawn(process.execPath, [...process.execArgv, __filename, ...args], { stdio: 'inherit' });
  };
  fs.watch(dir, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(run, 300);
  });
  run();
}

function parseTimeout(v: string): number {
  const n = Number(v);
  if (!/^\s*(\d+\.?\d*|\.\d+)\s*$/.test(v) || !(n > 0 && n <= 600)) throw new InvalidArgumentError(`expected seconds in (0, 600], got '${v}'`);
  return n;
}

async function main(): Promise<void> {
  const program = new Command('check')
    .description('check the exercises of your workspace (default: all of them, in the course order)')
    .argument('[ids...]', `exercise ids or parts of them, e.g. affine batchnorm (${EXERCISES.length} exercises)`)
    .option('--dir <dir>', 'the workspace (default: CS231N_EXERCISES_DIR, else exercises/)')
    .option('--timeout <s>', "seconds one exercise's check may run", parseTimeout, DEFAULT_TIMEOUT_S)
    .option('--watch', 'check again whenever a workspace file changes')
    .parse();
  const opts = program.opts<{ dir?: string; watch?: boolean; timeout: number }>();
  const dir = opts.dir ? path.resolve(opts.dir) : workspaceDir();
  try {
    checkWorkspaceDir(dir, opts.dir !== undefined ? `--dir ${opts.dir}` : process.env.CS231N_EXERCISES_DIR ? 'CS231N_EXERCISES_DIR' : 'the workspace');
  } catch (err) {
    if (!(err instanceof WorkspaceError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  // A signal to the checker (Ctrl-C, or SIGTERM to npm) stops its workers and the --watch child with it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      // The workers stopped now end without results: no outcome line is printed for them.
      stopping = true;
      console.error(`stopped by ${signal}; the checks still running were ended`);
      watchChild?.kill(signal);
      void stopAllWorkers().finally(() => process.exit(128 + os.constants.signals[signal]));
    });
  }
  selectExercises(program.args); // unknown ids fail here, before anything runs
  if (opts.watch) watch([...program.args, '--dir', dir, '--timeout', String(opts.timeout)]);
  else process.exitCode = await checkOnce(program.args, dir, opts.timeout);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
