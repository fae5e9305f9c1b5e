/**
 * Stubs made from the library with the TypeScript compiler: the named functions of a src/ file keep their doc
 * comment and signature, and their body becomes one line that throws `not implemented yet: <name> (<file>)`.
 * The rest of the file is kept as written, except that its relative imports point back at the project's src/:
 * only the exercises are the learner's, everything they use still comes from the library.
 */
import * as path from 'node:path';
import ts from 'typescript';

/**
 * The error a stub throws. file: the path inside the workspace ('layers/affine.ts'); more: what to read, if
 * anything ('exercise affine_forward, docs/fully-connected-nets.md').
 */
export function stubError(name: string, file: string, more?: string): string {
  return `not implemented yet: ${name} (${file})${more ? `: ${more}` : ''}`;
}

/** Functions and methods of a file by name ('affineForward', 'TwoLayerNet.loss'), with their bodies. */
function bodies(source: ts.SourceFile): Map<string, ts.Block> {
  const found = new Map<string, ts.Block>();
  const visit = (node: ts.Node, owner: string | undefined): void => {
    if (ts.isFunctionDeclaration(node) && node.name && node.body) found.set(node.name.text, node.body);
    else if (ts.isClassDeclaration(node) && node.name) {
      const cls = node.name.text;
      for (const member of node.members) {
        if (ts.isMethodDeclaration(member) && member.body && ts.isIdentifier(member.name)) found.set(`${cls}.${member.name.text}`, member.body);
      }
    }
    if (owner === undefined && ts.isModuleBlock(node)) node.forEachChild((c) => visit(c, 'module'));
  };
  source.forEachChild((node) => visit(node, undefined));
  return found;
}

/** Column of the first non-blank character of the line holding pos. */
function indentOf(text: string, pos: number): string {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/**
 * Rewrites every relative module specifier (imports, `export ... from`, `import type`) so that, seen from
 * `toFile`, it names the same file of src/ that it named from `fromFile`.
 */
function rewriteImports(source: ts.SourceFile, text: string, fromFile: string, toFile: string): Array<[number, number, string]> {
  const edits: Array<[number, number, string]> = [];
  for (const stmt of source.statements) {
    const spec = (ts.isImportDeclaration(stmt) || ts.isExportDeclaration(stmt)) && stmt.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    const target = path.resolve(path.dirname(fromFile), spec.text);
    let rel = path.relative(path.dirname(toFile), target).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    edits.push([spec.getStart(source), spec.end, `'${rel}'`]);
  }
  return edits;
}

export interface StubOptions {
  /** Absolute path of the src/ file. */
  srcFile: string;
  /** Absolute path the copy will have (in the workspace). */
  outFile: string;
  /** The file's name inside the workspace, for the stubs' messages ('layers/affine.ts'). */
  label: string;
  /** Functions to strip. */
  functions: readonly string[];
  /** Said after the stub's message, per function: which exercise it is and where it is explained. */
  more?: (name: string) => string | undefined;
  /** Keep the bodies (a workspace holding the solutions): only the imports are rewritten. */
  keepBodies?: boolean;
  /** Per function, statements to put in its body instead (the specs' planted answers). */
  bodies?: Readonly<Record<string, string>>;
  /**
   * Said instead of the file's opening doc comment after its first sentence, in a stub file: that comment derives
   * the answer, which is the exercise (docs/ keeps the derivation).
   */
  fileNote?: string;
  /** Per function, the doc comment its stub gets instead of the library's (which may give the answer away). */
  docs?: Readonly<Record<string, string>>;
}

/** The last doc comment (`/** ... *\/`) right before a declaration, as [start, end], or undefined. */
function docRange(text: string, decl: ts.Node): [number, number] | undefined {
  const ranges = ts.getLeadingCommentRanges(text, decl.getFullStart()) ?? [];
  const last = ranges[ranges.length - 1];
  return last && text.startsWith('/**', last.pos) ? [last.pos, last.end] : undefined;
}

/**
 * The first sentence of a doc comment's text: up to the first full stop that ends a sentence (not "et al." or
 * "e.g."), within the first paragraph. A first paragraph that ends in a colon or a comma introduces a display: a
 * layer diagram is kept with it, a formula is not (it may be the exercise's answer).
 */
export function firstSentence(comment: string): string {
  const paragraphs = comment
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trim())
    .join('\n')
    .split(/\n\s*\n/)
    .map((p) => p.split('\n').join(' ').replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '');
  let prose = paragraphs[0] ?? '';
  if (/[:,]$/.test(prose)) {
    // A display follows: a layer diagram is kept; a formula (an update rule, an objective) may be the answer.
    const display = paragraphs[1];
    prose = display !== undefined && !/=|<-/.test(display) ? `${prose} ${display}` : `${prose.slice(0, -1)}.`;
  }
  const end = prose.search(/(?<!\bet al|\be\.g|\bi\.e)\.(\s|$)/);
  return end < 0 ? prose : prose.slice(0, end + 1);
}

/** The file's opening doc comment cut to its first sentence and followed by note, or undefined without one. */
function shortenedHeader(text: string, note: string): [number, number, string] | undefined {
  const m = /^\/\*\*([\s\S]*?)\*\//.exec(text);
  if (!m) return undefined;
  const first = firstSentence(m[1]);
  const wrap = (para: string): string[] => {
    const out: string[] = [];
    for (const word of para.split(' ')) {
      if (out.length > 0 && out[out.length - 1].length + word.length < 110) out[out.length - 1] += ` ${word}`;
      else out.push(word);
    }
    return out.map((l) => ` * ${l}`);
  };
  return [0, m[0].length, ['/**', ...wrap(first), ' *', ...wrap(note), ' */'].join('\n')];
}

/** The workspace copy of one src/ file. Throws when a named function is not in the file. */
export function makeStubFile(text: string, o: StubOptions): string {
  const source = ts.createSourceFile(o.srcFile, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found = bodies(source);
  const edits = rewriteImports(source, text, o.srcFile, o.outFile);
  for (const name of o.functions) {
    const body = found.get(name);
    if (!body) throw new Error(`${o.label}: no function or method '${name}' (the exercise list names it)`);
    const planted = o.bodies?.[name];
    const doc = o.keepBodies ? undefined : o.docs?.[name];
    const range = doc === undefined ? undefined : docRange(text, body.parent);
    if (doc !== undefined && range) {
      const pad = indentOf(text, range[0]);
      edits.push([range[0], range[1], ['/**', ...doc.split('\n').map((l) => (l ? ` * ${l}` : ' *')), ' */'].join(`\n${pad}`)]);
    }
    if (o.keepBodies && planted === undefined) continue;
    const indent = indentOf(text, body.getStart(source));
    const inside = planted ?? `throw new Error('${stubError(name, o.label, o.more?.(name))}');`;
    edits.push([body.getStart(source), body.end, `{\n${indent}  ${inside}\n${indent}}`]);
  }
  const header = !o.keepBodies && o.fileNote ? shortenedHeader(text, o.fileNote) : undefined;
  if (header) edits.push(header);
  edits.sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [start, end, replacement] of edits) out = out.slice(0, start) + replacement + out.slice(end);
  return out;
}
