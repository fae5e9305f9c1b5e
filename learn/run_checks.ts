/**
 * Runs exercises' checks in worker threads (learn/check_worker.ts), at most `parallel` at a time, each check under
 * a time limit. The exercises of one workspace file form a group; a worker checks a group loading from the
 * workspace only the files that group runs through (learn/impl.ts's workspaceClosure), so a file that does not
 * compile blocks only the exercises that import it. A check that times out or ends its worker (process.exit)
 * costs that worker; a fresh one takes the rest. An outcome is pass, todo (the exercise's own stub threw), waits
 * (another exercise's stub threw: do that one first), missing (the workspace lacks the exercise's file: no check
 * runs, since it would check the library's code) or fails; only a worker's explicit result message is a pass.
 * Every workspace file is read through learn/impl.ts's bounded reader (a FIFO or a link to /dev/zero is refused by
 * name), and each worker's heap is capped at WORKER_HEAP_MB.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WorkspaceError, findAutodiff, readSourceFile, workspaceClosure, workspaceHas } from './impl';
import { Exercise, exerciseById } from './manifest';
import type { GroupMessage, WorkerInput } from './check_worker';
import { checkCommand } from './next_step';

export type Status =
  | { kind: 'pass'; note?: string }
  | { kind: 'missing'; file: string }
  | { kind: 'todo'; fn: string }
  | { kind: 'waits'; on: string; fn: string }
  | { kind: 'fails'; message: string };

export interface Outcome {
  exercise: Exercise;
  status: Status;
  seconds: number;
}

export interface RunOptions {
  /** The workspace, absolute. */
  dir: string;
  /** Seconds one exercise's check may take before it is stopped. */
  timeoutS: number;
  /** Workers at a time. */
  parallel: number;
  /** Called with each outcome, in the order of the exercises given. */
  onOutcome?: (o: Outcome) => void;
  /** Each worker's heap cap in MB (default WORKER_HEAP_MB). */
  heapMb?: number;
}

/**
 * The heap one check's worker may use, in MB: the largest check needs a few hundred; a learner's loop that fills
 * memory stops there with a one-line outcome instead of taking the machine.
 */
export const WORKER_HEAP_MB = 1536;

/** Workers running now, so that a signal to the checker can stop them (stopAllWorkers). */
const live = new Set<Worker>();

/** Terminates every worker still running (the checker is stopping). */
export function stopAllWorkers(): Promise<void> {
  return Promise.all([...live].map((w) => w.terminate())).then(() => undefined);
}

/** What loads a worker: tsx's require hook, then the worker's TypeScript. */
const BOOT = `require('tsx/cjs/api').register(); require(${JSON.stringify(path.join(__dirname, 'check_worker.ts'))});`;

/** What the learner's code prints, indented under the outcome lines so that it can never read as one. */
function forward(stream: NodeJS.ReadableStream): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) console.log(`       | ${line}`);
  });
  stream.on('end', () => {
    if (rest) console.log(`       | ${rest}`);
  });
}

function isStatus(v: unknown): v is Status {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  if (s.kind === 'pass') return s.note === undefined || typeof s.note === 'string';
  if (s.kind === 'missing') return typeof s.file === 'string';
  if (s.kind === 'todo') return typeof s.fn === 'string';
  if (s.kind === 'waits') return typeof s.fn === 'string' && typeof s.on === 'string';
  return s.kind === 'fails' && typeof s.message === 'string';
}

interface Group {
  exercises: Exercise[];
  files: string[];
}

/**
 * One worker's life: takes groups from the queue until it is empty, or until a check stops it (a timeout, an exit,
 * an error outside the checks); the rest of that group goes back to the front of the queue for the next worker.
 */
function workerLife(queue: Group[], o: RunOptions, done: (e: Exercise, s: Status, seconds: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const input: WorkerInput = { dir: o.dir };
    const worker = new Worker(BOOT, { eval: true, workerData: input, stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: o.heapMb ?? WORKER_HEAP_MB } });
    live.add(worker);
    worker.once('exit', () => live.delete(worker));
    forward(worker.stdout);
    forward(worker.stderr);
    let group: Group | undefined;
    let left = new Set<string>();
    let current: Exercise | undefined;
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const end = (status: Status): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      if (current) {
        done(current, status, (performance.now() - started) / 1000);
        left.delete(current.id);
      } else if (group) {
        // Stopped before a check began: the same reason for every exercise of its group.
        for (const id of left) done(exerciseById(id), status, 0);
        left.clear();
      }
      if (group && left.size > 0) queue.unshift({ exercises: group.exercises.filter((e) => left.has(e.id)), files: group.files });
      void worker.terminate();
      resolve();
    };
    const nextGroup = (): void => {
      group = queue.shift();
      if (!group) {
        ended = true;
        void worker.terminate().then(() => resolve());
        return;
      }
      left = new Set(group.exercises.map((e) => e.id));
      const message: GroupMessage = { type: 'group', files: group.files, ids: [...left] };
      worker.postMessage(message);
    };
    worker.on('message', (m: { type?: string; id?: string; status?: unknown; seconds?: number }) => {
      if (ended) return;
      if (m?.type === 'idle' && left.size === 0) nextGroup();
      else if (m?.type === 'start' && typeof m.id === 'string' && left.has(m.id)) {
        current = exerciseById(m.id);
        started = performance.now();
        clearTimeout(timer);
        const id = current.id;
        timer = setTimeout(() => end({ kind: 'fails', message: `timed out after ${o.timeoutS} s (an endless loop? \`${checkCommand(o.dir, [id], ' --timeout <s>')}\` allows more)` }), o.timeoutS * 1000);
      } else if (m?.type === 'result' && current && m.id === current.id && isStatus(m.status)) {
        clearTimeout(timer);
        done(current, m.status, typeof m.seconds === 'number' ? m.seconds : 0);
        left.delete(current.id);
        current = undefined;
      }
    });
    worker.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        end({ kind: 'fails', message: `ran out of memory: the check's heap is capped at ${o.heapMb ?? WORKER_HEAP_MB} MB (an array that grows without end?)` });
        return;
      }
      const text = err instanceof Error ? err.message : String(err);
      end({ kind: 'fails', message: current ? `threw outside the check (in a callback or a promise): ${text}` : `could not run the check: ${text}` });
    });
    worker.on('exit', (code) => end({ kind: 'fails', message: `ended the check without a result (exit code ${code}): is there a process.exit in your code?` }));
  });
}

/** Checks the exercises; outcomes in the order given. */
export async function runChecks(exercises: readonly Exercise[], o: RunOptions): Promise<Outcome[]> {
  const results = new Map<string, Outcome>();
  let printed = 0;
  const done = (exercise: Exercise, status: Status, seconds: number): void => {
    results.set(exercise.id, { exercise, status, seconds });
    while (printed < exercises.length && results.has(exercises[printed].id)) o.onOutcome?.(results.get(exercises[printed++].id)!);
  };
  const byFile = new Map<string, Exercise[]>();
  for (const e of exercises) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  const queue: Group[] = [];
  for (const [file, group] of byFile) {
    let refused: string | undefined;
    let files: string[] = [];
    try {
      if (!workspaceHas(path.join(o.dir, file))) {
        group.forEach((e) => done(e, { kind: 'missing', file }, 0));
        continue;
      }
      files = [...workspaceClosure(o.dir, [file])];
      refused = files.map((f) => findAutodiff(readSourceFile(path.join(o.dir, f)), f)).find((r) => r !== undefined);
    } catch (err) {
      if (!(err instanceof WorkspaceError)) throw err;
      refused = err.message;
    }
    if (refused) group.forEach((e) => done(e, { kind: 'fails', message: refused }, 0));
    else queue.push({ exercises: group, files });
  }
  const lane = async (): Promise<void> => {
    while (queue.length > 0) await workerLife(queue, o, done);
  };
  await Promise.all(Array.from({ length: Math.max(1, o.parallel) }, lane));
  return exercises.map((e) => results.get(e.id)!);
}
