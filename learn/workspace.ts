/**
 * The learner's workspace: one copy of each src/ file that holds exercises, at the same path under the workspace
 * folder (default `exercises/`), its exercise bodies stubbed (learn/stubs.ts). `init` writes only files that do
 * not exist yet, so running it again, or after a `git pull` of the project, never touches the learner's work;
 * after a pull that added exercises, it adds their files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describeFsError } from '../runtime/atomic';
import { PROJECT_ROOT, SRC_DIR, WorkspaceError, readSourceFile, workspaceHas } from './impl';
import { EXERCISES, exerciseFiles, exerciseOfFunction } from './manifest';
import { checkCommand } from './next_step';
import { makeStubFile } from './stubs';
import { STUB_DOCS } from './stub_docs';

/** One line at the top of every workspace file: what it is and how to check it. */
function header(file: string, dir: string): string {
  const ids = EXERCISES.filter((e) => e.file === file).map((e) => e.id);
  return `// Exercises: ${ids.join(', ')}. Check them with \`${checkCommand(dir, ids)}\`; docs/exercises.md explains the workspace.\n`;
}

/** The text of one workspace file, from the current src/. keepBodies: the solutions, imports rewritten only. */
export function workspaceFileText(file: string, dir: string, keepBodies = false, bodies?: Readonly<Record<string, string>>): string {
  const srcFile = path.join(SRC_DIR, file);
  const functions = EXERCISES.filter((e) => e.file === file).flatMap((e) => e.functions);
  const text = fs.readFileSync(srcFile, 'utf8');
  const more = (name: string): string | undefined => {
    const e = exerciseOfFunction(name);
    return e && `exercise ${e.id}, explained in docs/${e.doc}; when written: ${checkCommand(dir, [e.id]).replace(/'/g, '')}`;
  };
  const docs = [...new Set(EXERCISES.filter((e) => e.file === file).map((e) => `docs/${e.doc}`))].join(' and ');
  const fileNote = `What each exercise below computes is in its doc comment; how to derive it, in ${docs}.`;
  return header(file, dir) + makeStubFile(text, { srcFile, outFile: path.join(dir, file), label: file, functions, keepBodies, more, bodies, fileNote, docs: STUB_DOCS });
}

export interface InitResult {
  written: string[];
  kept: string[];
}

/**
 * Writes every missing workspace file; never overwrites. keepBodies: a workspace holding the solutions. bodies:
 * per function, statements that replace its body (what the specs plant).
 */
export function initWorkspace(dir: string, keepBodies = false, bodies?: Readonly<Record<string, string>>): InitResult {
  const result: InitResult = { written: [], kept: [] };
  // Everything is looked at before anything is written: a refusal leaves the workspace as it was.
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat !== undefined && !stat.isDirectory()) throw new WorkspaceError(`--dir ${dir} exists and is not a folder; choose a folder for the workspace`);
  if (stat === undefined && fs.lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new WorkspaceError(`--dir ${dir} is a symbolic link to ${fs.readlinkSync(dir)}, which does not exist; create that folder or remove the link`);
  }
  const missing: string[] = [];
  for (const file of exerciseFiles()) {
    const out = path.join(dir, file);
    if (workspaceHas(out)) result.kept.push(file);
    else missing.push(file);
  }
  for (const file of missing) {
    const out = path.join(dir, file);
    const text = workspaceFileText(file, dir, keepBodies, bodies);
    try {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text, { flag: 'wx' });
    } catch (err) {
      throw new WorkspaceError(`cannot write ${out}: ${describeFsError(err) ?? (err as Error).message.split('\n')[0]}`);
    }
    result.written.push(file);
  }
  return result;
}

/**
 * Type-checks the workspace files with the project's compiler options (and everything they import). Returns the
 * diagnostics, formatted; empty when it type-checks.
 */
export function typecheckWorkspace(dir: string): string[] {
  const configPath = path.join(PROJECT_ROOT, 'tsconfig.json');
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, PROJECT_ROOT);
  const files = exerciseFiles()
    .map((f) => path.join(dir, f))
    .filter((f) => workspaceHas(f));
  // A workspace outside the project finds its packages in the project's node_modules, as at run time.
  const modules = path.join(PROJECT_ROOT, 'node_modules');
  const paths = { '*': [path.join(modules, '*'), path.join(modules, '@types', '*')] };
  const options = { ...config.options, noEmit: true, rootDir: undefined, outDir: undefined, paths };
  // Every file the compiler reads from the workspace goes through the bounded reader (a learner's helper too).
  const compilerHost = ts.createCompilerHost(options);
  const readFile = compilerHost.readFile;
  const inWorkspace = (f: string): boolean => path.resolve(f).startsWith(dir + path.sep);
  compilerHost.readFile = (f) => (inWorkspace(f) ? (workspaceHas(f) ? readSourceFile(f) : undefined) : readFile(f));
  const program = ts.createProgram(files, options, compilerHost);
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => PROJECT_ROOT, getNewLine: () => '\n' };
  return ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, host).trim());
}
