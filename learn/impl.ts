/**
 * `--impl exercises`: run the project on the learner's code. One module-resolution hook, registered once, sends
 * every import of `src/<file>` to `<workspace>/<file>` when the workspace holds that file; everything else (and
 * every file the learner has not been given) still comes from src/.
 *
 * Choosing: the `--impl <which>` option that scripts/lib/cli.ts's createCommand gives every script (its --help
 * lists it; CS231N_IMPL sets it too), one of IMPLS; the script calls useImplementation with it once parsed
 * (startScript does). `npm run check` registers the hook itself, per exercise (learn/check_worker.ts).
 * The workspace: CS231N_EXERCISES_DIR, default `exercises/` at the project root.
 *
 * The hook patches Node's CommonJS resolver (Module._resolveFilename), which tsx's TypeScript loader goes through
 * too. A module already loaded from src/ cannot be swapped afterwards, and a script imports its layers before it
 * parses its flags: useImplementation then starts the script again as a child process with the hook loaded first
 * (`node --import learn/preload.ts`), and exits with its status.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import Module from 'node:module';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { readBoundedFileSync, describeFileType } from '../runtime/read_bounded';
import { EXERCISES, exerciseFiles, exerciseOfFunction } from './manifest';
import { initCommand } from './next_step'; // next_step reads PROJECT_ROOT only when called, so this cycle is safe

/** The project's root folder (the one holding src/). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const SRC_DIR = path.join(PROJECT_ROOT, 'src');

/** The values of `--impl`: whose code a script runs. */
export const IMPLS = ['library', 'exercises'] as const;
export type Impl = (typeof IMPLS)[number];

/** What `--help` says of `--impl`. */
export const IMPL_HELP = "whose code runs: 'library' (src/, the default) or 'exercises' (your workspace: CS231N_EXERCISES_DIR, else exercises/; docs/exercises.md)";

/** The learner's workspace: CS231N_EXERCISES_DIR, default `<project>/exercises`. Always absolute. */
export function workspaceDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.CS231N_EXERCISES_DIR ?? path.join(PROJECT_ROOT, 'exercises'));
}

/** The largest workspace file read: the library's biggest source file is about 40 KB. */
export const MAX_WORKSPACE_FILE_BYTES = 1024 * 1024;

/** A refusal of a workspace file or folder: its message is one line naming it. */
export class WorkspaceError extends Error {
  override name = 'WorkspaceError';
}

/** The workspace a file of it lies in: the file's path less its exercise path (layers/relu.ts), else its folder. */
function workspaceOf(file: string): string {
  const rel = exerciseFiles().find((f) => file.endsWith(path.sep + f));
  return rel === undefined ? path.dirname(file) : file.slice(0, -(rel.length + 1));
}

/**
 * Whether a source file is there to be read: false when nothing is at the path; true for a regular file of at most
 * MAX_WORKSPACE_FILE_BYTES; anything else (a link to /dev/zero or to nothing, a FIFO, a folder, a huge file) is
 * refused with a one-line WorkspaceError naming it, before a byte is read: a FIFO would hang whoever reads it and
 * /dev/zero would fill memory.
 */
export function workspaceHas(file: string): boolean {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WorkspaceError(`cannot use ${file}: ${code === 'ENOTDIR' ? 'a part of its path is a file, not a folder' : (err as Error).message.split('\n')[0]}`);
  }
  if (stat === undefined) {
    const link = fs.lstatSync(file, { throwIfNoEntry: false });
    if (link?.isSymbolicLink()) throw new WorkspaceError(`${file} is a symbolic link to ${fs.readlinkSync(file)}, which does not exist; remove the link or point it at your file`);
    return false;
  }
  if (!stat.isFile()) throw new WorkspaceError(`${file} is ${describeFileType(stat)}, not a source file; refusing to read it (remove it, then \`${initCommand(workspaceOf(file))}\` writes a stub)`);
  if (stat.size > MAX_WORKSPACE_FILE_BYTES) throw new WorkspaceError(`${file} has ${stat.size} bytes, more than the ${MAX_WORKSPACE_FILE_BYTES} a source file may have; refusing to read it`);
  return true;
}

/**
 * The text of a source file, read through runtime/read_bounded.ts (a regular file of at most
 * MAX_WORKSPACE_FILE_BYTES, checked on the open descriptor), the same reader as the checkpoints'. Refusals are
 * one-line WorkspaceErrors naming the file.
 */
export function readSourceFile(file: string): string {
  try {
    return readBoundedFileSync(file, {
      maxBytes: MAX_WORKSPACE_FILE_BYTES,
      error: (message) => new WorkspaceError(message),
    }).toString('utf8');
  } catch (err) {
    if (err instanceof WorkspaceError) throw err;
    throw new WorkspaceError(`cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * Refuses, in one line, a workspace folder that cannot be one: missing, not a folder, or holding none of the
 * exercise files (a mistyped --dir, which would otherwise check the library's own code). label: how the user named
 * it ('--dir x', 'CS231N_EXERCISES_DIR').
 */
export function checkWorkspaceDir(dir: string, label: string): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) throw new WorkspaceError(`${label}: no workspace at ${dir} (no such folder); create one with \`${initCommand(dir)}\``);
  if (!stat.isDirectory()) throw new WorkspaceError(`${label}: ${dir} is ${describeFileType(stat) === 'not a regular file' ? 'a file' : describeFileType(stat)}, not a workspace folder`);
  const files = exerciseFiles();
  if (!files.some((f) => fs.lstatSync(path.join(dir, f), { throwIfNoEntry: false }) !== undefined)) {
    throw new WorkspaceError(
      `${label}: ${dir} holds none of the ${files.length} exercise files (layers/affine.ts, ...); is it your workspace? \`${initCommand(dir)}\` writes them`,
    );
  }
}

type ResolveFilename = (request: string, parent: Module | undefined, isMain: boolean, options?: unknown) => string;
const ModuleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

let redirectDir: string | undefined;
let redirected: ReadonlySet<string> | undefined;

/** The workspace the hook redirects to, or undefined when it is not registered. */
export function activeWorkspace(): string | undefined {
  return redirectDir;
}

/**
 * Where an import that resolved to `resolved` really goes: the workspace's copy of a src file, when there is one
 * (and, given only, when that file is one of them: paths relative to src/, 'layers/affine.ts').
 */
export function redirect(resolved: string, dir: string, only?: ReadonlySet<string>): string {
  const rel = path.relative(SRC_DIR, resolved);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return resolved;
  if (only && !only.has(rel.split(path.sep).join('/'))) return resolved;
  const mine = path.join(dir, rel);
  return workspaceHas(mine) ? mine : resolved;
}

/** The one-line refusal when a workspace file imports the library's own copy of itself. */
export function selfImportMessage(rel: string): string {
  return `${rel} in your workspace imports the library's solution src/${rel}: the exercise is to write it yourself; remove that import`;
}

/**
 * Registers the hook (once per process). only: the workspace files to use, relative to src/ (default: every file
 * the workspace holds); the rest come from src/. Imports of packages from a workspace outside the project fall back
 * to the project's node_modules. A workspace file that imports its own src/ twin is refused with one line
 * (redirected, that import would load the file itself, and the library's answer is not the learner's).
 */
export function useWorkspace(dir: string, only?: ReadonlySet<string>): void {
  if (redirectDir !== undefined) {
    if (redirectDir !== dir) throw new Error(`useWorkspace: already redirecting to ${redirectDir}`);
    return;
  }
  redirectDir = dir;
  redirected = only;
  const original = ModuleInternals._resolveFilename;
  const projectParent = new Module(path.join(PROJECT_ROOT, 'package.json'));
  projectParent.filename = path.join(PROJECT_ROOT, 'package.json');
  projectParent.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(PROJECT_ROOT);
  ModuleInternals._resolveFilename = function (request, parent, isMain, options) {
    let resolved: string;
    const fromWorkspace = parent?.filename !== undefined && parent.filename.startsWith(dir + path.sep);
    try {
      resolved = original.call(this, request, parent, isMain, options);
    } catch (err) {
      if (!fromWorkspace) throw err;
      const bare = !request.startsWith('.') && !path.isAbsolute(request);
      if (bare) resolved = original.call(this, request, projectParent, isMain, options);
      else {
        // A workspace copied to another folder: its imports of src/ point where the project is not. The part of
        // the path after its last src/ names the same file of this project's src/.
        const i = request.lastIndexOf('/src/');
        if (i < 0) throw err;
        resolved = original.call(this, path.join(SRC_DIR, request.slice(i + '/src/'.length)), parent, isMain, options);
      }
    }
    if (fromWorkspace) {
      const own = path.relative(dir, parent!.filename);
      if (path.join(SRC_DIR, own) === resolved) throw new Error(selfImportMessage(own.split(path.sep).join('/')));
    }
    const target = redirect(resolved, dir, redirected);
    // Any file of the workspace (a learner's helper too) is checked before Node reads it: no FIFO, no device.
    if (target.startsWith(dir + path.sep)) workspaceHas(target);
    return target;
  };
}

/**
 * Changes which workspace files the registered hook loads (the checks of one file's exercises after another's, in
 * one worker), and forgets every module of src/, reference/, learn/checks/ and the workspace already loaded, so that
 * the next imports resolve again under the new set.
 */
export function redirectOnly(only: ReadonlySet<string>): void {
  if (redirectDir === undefined) throw new Error('redirectOnly: call useWorkspace first');
  redirected = only;
  const roots = [SRC_DIR, path.join(PROJECT_ROOT, 'reference'), path.join(__dirname, 'checks'), redirectDir].map((r) => r + path.sep);
  for (const file of Object.keys(require.cache)) if (roots.some((r) => file.startsWith(r))) delete require.cache[file];
}

/** Relative module specifiers of a TypeScript file (imports, re-exports, require calls). */
function importsOf(file: string): string[] {
  const text = readSourceFile(file);
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName).filter((f) => f.startsWith('.'));
}

/** A src/ file that a relative specifier names from `from`, relative to src/, or undefined. */
function srcFileOf(from: string, spec: string, dir: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  // Seen from the workspace, a specifier names a src/ file through the workspace's rewritten imports.
  const inSrc = base.startsWith(SRC_DIR + path.sep) ? base : undefined;
  const fromWs = base.startsWith(dir + path.sep) ? path.join(SRC_DIR, path.relative(dir, base)) : undefined;
  // A workspace copied elsewhere: the part after the last src/ names the file (as the resolver hook reads it).
  const i = spec.lastIndexOf('/src/');
  const copied = i >= 0 ? path.join(SRC_DIR, spec.slice(i + '/src/'.length)) : undefined;
  const target = inSrc ?? fromWs ?? copied;
  if (!target) return undefined;
  for (const candidate of [target, `${target}.ts`, path.join(target, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.relative(SRC_DIR, candidate).split(path.sep).join('/');
  }
  return undefined;
}

/**
 * The workspace files that code starting at `files` (paths relative to src/) runs through: those files, and every
 * workspace file reached by following imports, through the library's files too (a sandwich layer of src/ that
 * calls the learner's affine). What a check of those files loads from the workspace; the rest is the library's.
 */
export function workspaceClosure(dir: string, files: readonly string[]): Set<string> {
  const mine = new Set<string>();
  const seen = new Set<string>();
  const queue = [...files];
  while (queue.length > 0) {
    const rel = queue.pop()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    const ws = path.join(dir, rel);
    const file = workspaceHas(ws) ? ws : path.join(SRC_DIR, rel);
    if (file === ws) mine.add(rel);
    if (!fs.existsSync(file)) continue;
    for (const spec of importsOf(file)) {
      const next = srcFileOf(file, spec, dir);
      if (next && !seen.has(next)) queue.push(next);
    }
  }
  return mine;
}

/** The autodiff entry points of tfjs, refused in the workspace as in src/. */
const AUTODIFF = new Set(['grad', 'grads', 'valueAndGrad', 'valueAndGrads', 'variableGrads', 'customGrad', 'gradients']);

/**
 * The first use of tfjs autodiff in a workspace file, as one line (`layers/affine.ts:12 calls tf.grads`), or
 * undefined. Counts a call of a property or an imported name in AUTODIFF (engine().gradients too), and any use of
 * tf.train.
 */
export function findAutodiff(text: string, label: string): string | undefined {
  const source = ts.createSourceFile(label, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  let found: string | undefined;
  const at = (node: ts.Node, what: string): void => {
    if (found) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found = `${label}:${line} uses ${what}: no autodiff in the exercises (the course writes every gradient by hand); remove it`;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isPropertyAccessExpression(callee) && AUTODIFF.has(callee.name.text)) at(node, `${callee.getText(source)}()`);
      else if (ts.isIdentifier(callee) && AUTODIFF.has(callee.text)) at(node, `${callee.text}()`);
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'train' && ts.isIdentifier(node.expression) && node.expression.text === 'tf') at(node, 'tf.train');
    if (ts.isImportSpecifier(node) && AUTODIFF.has((node.propertyName ?? node.name).text)) at(node, `an import of ${(node.propertyName ?? node.name).text}`);
    node.forEachChild(visit);
  };
  visit(source);
  return found;
}

/** src/ files that the workspace replaces and that are already loaded from src/. */
function swappedTooLate(dir: string): string[] {
  return Object.keys(require.cache).filter((file) => redirect(file, dir) !== file);
}

/** The exercises whose every function the workspace holds written (no stub left), in course order. */
export function writtenExercises(dir: string): { written: string[]; stubs: number } {
  const written: string[] = [];
  let stubs = 0;
  for (const e of EXERCISES) {
    const file = path.join(dir, e.file);
    const text = workspaceHas(file) ? readSourceFile(file) : '';
    if (text !== '' && e.functions.every((f) => !text.includes(`not implemented yet: ${f} (`))) written.push(e.id);
    else stubs++;
  }
  return { written, stubs };
}

/**
 * What a script calls once its flags are parsed, with its `--impl`: for 'exercises', registers the hook on the
 * workspace and says, first thing, whose code runs; when the script already loaded some of those files from src/,
 * reruns the whole script in a child process that loads the hook first, and exits with its status.
 */
export function useImplementation(impl: Impl, argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): void {
  if (impl !== 'exercises') return;
  const dir = workspaceDir(env);
  try {
    checkWorkspaceDir(dir, env.CS231N_EXERCISES_DIR ? '--impl exercises (CS231N_EXERCISES_DIR)' : '--impl exercises');
    writtenExercises(dir);
  } catch (err) {
    if (!(err instanceof WorkspaceError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  if (env.CS231N_IMPL_PRELOADED !== '1' && swappedTooLate(dir).length > 0) {
    const child = spawnSync(process.execPath, [...process.execArgv, '--import', pathToFileURL(path.join(__dirname, 'preload.ts')).href, ...argv.slice(1)], {
      stdio: 'inherit',
      env: { ...env, CS231N_EXERCISES_DIR: dir, CS231N_IMPL_PRELOADED: '1' },
    });
    process.exit(child.status ?? 1);
  }
  useWorkspace(dir);
  const { written, stubs } = writtenExercises(dir);
  console.error(`using your exercises (${dir}): ${written.length > 0 ? written.join(', ') : 'none written yet'}${stubs > 0 ? `; ${stubs} still stubs (the script stops at the first it reaches)` : ''}`);
  stopAtFirstStub();
}

/** `not implemented yet: <function> (<file>)`, the message every stub throws. */
export const STUB_MESSAGE = /not implemented yet: ([\w.]+) \(([^)]+)\)/;

/**
 * When the learner's code reaches a stub and nothing catches its error, the script stops at once with the stub's
 * message (function, file, exercise, page), the file's place in the workspace and the command that checks it.
 * Scripts that catch errors themselves print the stub's message, which names the exercise too.
 */
function stopAtFirstStub(): void {
  const explain = (err: unknown): void => {
    const m = err instanceof Error ? STUB_MESSAGE.exec(err.message) : null;
    if (!m) {
      // Any other error ends the script as Node would have ended it.
      console.error(err);
      process.exit(1);
    }
    const ex = exerciseOfFunction(m[1]);
    console.error(`\n${(err as Error).message}`);
    const dirFlag = redirectDir && redirectDir !== path.join(PROJECT_ROOT, 'exercises') ? ` --dir ${redirectDir}` : '';
    console.error(`Write it in ${path.join(redirectDir ?? '', m[2])}${ex ? `, then \`npm run check -- ${ex.id}${dirFlag}\`` : ''}.`);
    process.exit(1);
  };
  process.on('uncaughtException', explain);
  process.on('unhandledRejection', explain);
}
