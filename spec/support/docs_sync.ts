/**
 * What the documentation names, checked against the repository: every backticked file path, npm script, flag,
 * environment variable and code identifier on a page, and every relative link, must resolve in the working tree.
 * A page that describes code which has since been renamed or removed is the failure this exists to catch.
 *
 * Plain file reads and regular expressions, no TypeScript compiler: the whole check takes well under a second.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One name or link on a page that does not resolve. */
export interface Unresolved {
  /** The page, relative to the repository root. */
  page: string;
  /** 1-based line of the page. */
  line: number;
  /** The backticked span or link target, as written. */
  name: string;
  /** Why it does not resolve. */
  why: string;
}

/** Folders whose code defines the names that pages may mention. */
export const CODE_DIRS = ['src', 'runtime', 'reference', 'learn', 'scripts', 'web', 'bench', 'notebooks'];

/**
 * Path prefixes that scripts create at run time, so a page may name them without their existing in a checkout.
 * Each with the reason it is allowed.
 */
export const RUNTIME_PATHS: Record<string, string> = {
  'runs/': 'every script writes its output under runs/<script>/ (figure names are still checked against the code)',
  'data/': 'npm run get-data downloads or imports CIFAR-10 into data/',
  'exercises/': 'npm run exercises -- init writes the learner workspace into exercises/',
  'test-output/': 'the browser specs write their screenshots there',
  '<root>/': "the layout inside a learner's own image-folder archive, which get-data imports",
  '~/': "a folder in the reader's home directory, given as an example argument",
  '/usr/': "a system path on the reader's machine (the Python that bench-compare runs)",
  'example.ts': 'docs/convolution.md asks the reader to save its worked example under this name',
};

/**
 * Names that look like code but belong to a library or the platform, not to this repository. Each with its
 * reason. tfjs's own functions and kernel names are the common case: pages explain how they behave.
 */
export const EXTERNAL_NAMES: Record<string, string> = {
  matMul: 'tfjs op',
  gatherND: 'tfjs op',
  conv2d: 'tfjs op',
  transposeA: 'tfjs matMul argument',
  transposeB: 'tfjs matMul argument',
  Transpose: 'tfjs kernel name, as tf.profile reports it',
  Gather: 'tfjs kernel name, as tf.profile reports it',
  Conv2DBackpropFilter: 'tfjs kernel name, as tf.profile reports it',
  Conv2DBackpropInput: 'tfjs kernel name, as tf.profile reports it',
  Conv2D: 'tfjs kernel name, as tf.profile reports it',
  BatchMatMul: 'tfjs kernel name, as tf.profile reports it',
  FusedDepthwiseConv2D: 'tfjs kernel name, as tf.profile reports it',
  Reverse: 'tfjs kernel name, as tf.profile reports it',
  Tile: 'tfjs kernel name, as tf.profile reports it',
  Slice: 'tfjs kernel name, as tf.profile reports it',
  Add: 'tfjs kernel name, as tf.profile reports it',
  Multiply: 'tfjs kernel name, as tf.profile reports it',
  Erf: 'tfjs kernel name, as tf.profile reports it',
  Exp: 'tfjs kernel name, as tf.profile reports it',
  GatherNd: 'tfjs kernel name, as tf.profile reports it',
  FusedConv2D: 'tfjs kernel name, as tf.profile reports it',
  AvgPool: 'tfjs kernel name, as tf.profile reports it',
  Sub: 'tfjs kernel name, as tf.profile reports it',
  dataSync: "tfjs tensors' method that copies their values out",
  readSync: "the tfjs backends' method that reads a tensor's values",
  Worker: 'the browser and Node worker API',
  requires_grad: "PyTorch's tensor flag, named where the peers are compared",
};

/** First segments of dotted names that belong to libraries (tfjs, numpy, PyTorch, JavaScript). */
const LIBRARY_ROOTS = new Set(['tf', 'np', 'torch', 'Math', 'JSON', 'Object', 'Number', 'process', 'console', 'Array']);

/** Fenced blocks whose lines are shell commands: their npm commands are checked like inline ones. */
const SHELL_FENCES = new Set(['', 'sh', 'bash', 'shell', 'console']);

/** File extensions that mark a span as a file name even without a slash. */
const FILE_EXT = /\.(ts|js|md|json|jsonl|png|html|css|ipynb)$/;

/** Everything tracked under the repository root that the check compares against, read once. */
export class Repository {
  readonly root: string;
  /** Repository-relative paths of every file and folder (folders with a trailing slash). */
  private readonly paths: Set<string>;
  private readonly definitions: Set<string>;
  private readonly flags: Set<string>;
  private readonly scripts: Set<string>;
  private readonly packages: Set<string>;
  /** Every TypeScript file of the code folders and spec/, repository-relative. */
  readonly sourceFiles: string[];
  /** The code folders' text, comments included, for names a page may quote from it. */
  private readonly codeText: string;

  constructor(root: string) {
    this.root = root;
    this.paths = new Set();
    const files: string[] = [];
    walk(root, '', this.paths, files);
    const codeFiles = files.filter((f) => CODE_DIRS.some((d) => f.startsWith(`${d}/`)));
    const texts = codeFiles.map((f) => fs.readFileSync(path.join(root, f), 'utf8'));
    this.sourceFiles = files.filter((f) => f.endsWith('.ts') && [...CODE_DIRS, 'spec'].some((d) => f.startsWith(`${d}/`)));
    this.codeText = texts.join('\n');
    this.definitions = new Set();
    this.flags = new Set();
    codeFiles.forEach((f, i) => {
      if (f.endsWith('.ts')) collectDefinitions(texts[i], this.definitions);
      for (const m of texts[i].matchAll(/['"`](--[a-z][a-z0-9-]*)/g)) this.flags.add(m[1]);
    });
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    this.scripts = new Set(Object.keys(pkg.scripts));
    this.packages = new Set(['dependencies', 'devDependencies', 'optionalDependencies'].flatMap((k) => Object.keys(pkg[k] ?? {})));
  }

  hasPath(p: string): boolean {
    return this.paths.has(p) || this.paths.has(`${p.replace(/\/$/, '')}/`);
  }

  /** A bare or partial path (`adam.ts`, `layers/residual.ts`) names the end of some path in the repository. */
  hasPathEnding(p: string): boolean {
    const tail = `/${p}`;
    for (const q of this.paths) if (`/${q}`.endsWith(tail)) return true;
    return false;
  }

  isDefined(name: string): boolean {
    return this.definitions.has(name);
  }

  hasFlag(flag: string): boolean {
    if (this.flags.has(flag)) return true;
    // commander's --no-x negates --x, and --x may be declared only through --no-x.
    if (flag.startsWith('--no-')) return this.flags.has(`--${flag.slice(5)}`);
    return this.flags.has(`--no-${flag.slice(2)}`);
  }

  hasPackage(name: string): boolean {
    return this.packages.has(name);
  }

  hasScript(name: string): boolean {
    return this.scripts.has(name);
  }

  /** The word appears in the code folders (a file name a script writes, an environment variable it reads). */
  codeMentions(word: string): boolean {
    return new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(word)}($|[^A-Za-z0-9_])`).test(this.codeText);
  }
}

function walk(root: string, rel: string, paths: Set<string>, files: string[]): void {
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    // Build output and installed packages are not the repository's own names.
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist') continue;
    const p = rel === '' ? entry.name : `${rel}/${entry.name}`;
    // What .gitignore leaves out: run outputs, the data set, the learner's workspace, test leftovers.
    if (entry.name === 'runs' || (rel === '' && ['data', 'exercises', 'coverage', 'test-output', 'tmp'].includes(entry.name))) continue;
    if (entry.isDirectory()) {
      paths.add(`${p}/`);
      walk(root, p, paths, files);
    } else {
      paths.add(p);
      files.push(p);
    }
  }
}

/**
 * Names the TypeScript source defines: functions, classes, interfaces, types, enums, variables, methods,
 * properties of types and object literals, and re-exports.
 */
function collectDefinitions(text: string, into: Set<string>): void {
  const patterns = [
    /\b(?:function\*?|class|interface|type|enum|const|let|var)\s+([A-Za-z_$][\w$]*)/g,
    /^\s*(?:(?:public|private|protected|static|async|readonly|override|abstract|get|set)\s+)*([A-Za-z_$][\w$]*)\??\s*(?:<[^>]*>)?\s*\([^;]*$/gm,
    /(?:^|[{,;])\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*:/gm,
    /(?:^|[{,(])\s*([A-Za-z_$][\w$]*)\s*(?:,|$)/gm,
    /\bas\s+([A-Za-z_$][\w$]*)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) into.add(m[1]);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
/** snake_case, as the course's Python names things and as exercise ids are written. */
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
/** camelCase or PascalCase: a code name rather than an English word or a course's snake_case. */
const CODE_CASE = /^(?:[a-z][a-z0-9]*[A-Z][\w$]*|[A-Z][a-z0-9]+[A-Z]?[\w$]*|[A-Z][A-Z0-9]*[a-z][\w$]*)$/;

/**
 * Checks one page. text: the page's Markdown. page: its path relative to the repository root.
 * Returns every unresolved name and link, in page order.
 */
export function checkPage(repo: Repository, page: string, text: string): Unresolved[] {
  const problems: Unresolved[] = [];
  const lines = text.split('\n');
  let fence: string | null = null;
  const prose: string[] = [];
  lines.forEach((line, i) => {
    const marker = /^\s*(```|~~~)\s*([\w-]*)/.exec(line);
    if (marker) {
      fence = fence === null ? marker[2] : null;
      prose.push('');
      return;
    }
    prose.push(fence === null ? line : '');
    // Shell blocks: every npm command in them must run.
    if (fence !== null && SHELL_FENCES.has(fence)) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (/^(?:[A-Z][A-Z0-9_]*=\S+\s+)*npm\s/.test(command)) {
        const plain = command.replace(/\bnpm\s+(?:-s\s+)?run\s+(?:-s\s+)?/, 'npm run ');
        for (const why of checkSpan(repo, page, plain)) {
          problems.push({ page, line: i + 1, name: command, why });
        }
      }
    }
  });
  const body = prose.join('\n');
  const lineOf = (offset: number): number => body.slice(0, offset).split('\n').length;
  const report = (offset: number, name: string, why: string): void => {
    problems.push({ page, line: lineOf(offset), name, why });
  };

  // Inline code: `...`, one span at most across one line break; $`...`$ is inline maths, not code.
  for (const m of body.matchAll(/(\$?)`([^`\n]+(?:\n[^`\n]+)?)`(\$?)/g)) {
    if (m[1] === '$' && m[3] === '$') continue;
    const span = m[2].replace(/\s+/g, ' ').trim();
    for (const why of checkSpan(repo, page, span)) report(m.index, span, why);
  }

  // Links and images: [text](target) with a relative target. Inline code is blanked first so that code such as
  // `a[i](x)` is not read as a link.
  const noCode = body.replace(/`[^`\n]*`/g, (s) => ' '.repeat(s.length));
  for (const m of noCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const why = checkLink(repo, page, target);
    if (why) report(m.index, target, why);
  }
  // Stable: problems on one line keep the order in which they were found.
  return problems.sort((a, b) => a.line - b.line);
}

/** Why a backticked span does not resolve (none if it does, or if it is not a name the repository defines). */
function checkSpan(repo: Repository, page: string, span: string): string[] {
  const npm = /^(?:[A-Z][A-Z0-9_]*=\S+\s+)*npm\s+run\s+([\w:-]+)(.*)$/.exec(span);
  if (npm) {
    const out: string[] = [];
    if (!repo.hasScript(npm[1])) out.push(`no npm script "${npm[1]}" in package.json`);
    return out.concat(flagsIn(repo, npm[2]));
  }
  if (/^(?:\.\.\.\s+)?--[a-z]/.test(span)) return flagsIn(repo, span);

  const env = /^([A-Z][A-Z0-9]*_[A-Z0-9_]*)(?:=\S*)?(?:\s|$)/.exec(span);
  if (env) return repo.codeMentions(env[1]) ? [] : [`${env[1]} is not mentioned anywhere in ${CODE_DIRS.join('/, ')}/`];

  if (/^@[\w-]+\/[\w-]+$/.test(span)) return repo.hasPackage(span) ? [] : [`no package ${span} in package.json`];

  if (!/\s/.test(span) && (span.includes('/') || FILE_EXT.test(span)) && !span.includes('(')) return checkPath(repo, page, span);

  const head = /^(?:new\s+)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?:\(|$)/.exec(span);
  if (!head) return [];
  const segments = head[1].split('.');
  if (LIBRARY_ROOTS.has(segments[0])) return [];
  if (segments.length === 1 && /^[A-Z][A-Z0-9_]+$/.test(segments[0]) && segments[0].includes('_')) {
    return repo.isDefined(segments[0]) || repo.codeMentions(segments[0]) ? [] : [`${segments[0]} is defined nowhere in ${CODE_DIRS.join('/, ')}/`];
  }
  const out: string[] = [];
  const called = span.endsWith('()') && segments.length === 1;
  for (const s of segments) {
    // JavaScript's own globals (Uint8Array, Promise, ...) and keywords written as calls are not the repository's.
    if (!IDENT.test(s) || s in EXTERNAL_NAMES || s in globalThis || s === 'import') continue;
    if (CODE_CASE.test(s) || called) {
      if (!repo.isDefined(s)) out.push(`${s} is defined nowhere in ${CODE_DIRS.join('/, ')}/`);
    } else if (SNAKE_CASE.test(s) && segments.length === 1 && !repo.codeMentions(s)) {
      // An exercise id or a name from the course's Python: the code names it wherever it implements it.
      out.push(`${s} is mentioned nowhere in ${CODE_DIRS.join('/, ')}/`);
    }
  }
  return out;
}

function flagsIn(repo: Repository, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)) {
    if (!repo.hasFlag(m[1])) out.push(`no script under ${CODE_DIRS.join('/, ')}/ defines the flag ${m[1]}`);
  }
  return out;
}

function checkPath(repo: Repository, page: string, span: string): string[] {
  const p = span.replace(/^\.\//, '');
  for (const prefix of Object.keys(RUNTIME_PATHS)) {
    if (!p.startsWith(prefix)) continue;
    // A figure or file a script writes must still be one the code writes.
    const base = p.split('/').filter((s) => s !== '').pop() ?? '';
    const stem = base.replace(/\.[a-z]+$/, '');
    if (prefix === 'runs/' && FILE_EXT.test(base) && !repo.codeMentions(base) && !repo.codeMentions(`'${stem}'`)) {
      return [`no code writes ${base} (the page names it under runs/)`];
    }
    return [];
  }
  if (p.includes('*') || p.includes('<')) return [];
  const pageDir = path.posix.dirname(page);
  if (repo.hasPath(p) || repo.hasPath(path.posix.normalize(path.posix.join(pageDir, p)))) return [];
  // A bare name the code writes at run time: a figure, a metrics file, a checkpoints/ folder.
  if (!p.replace(/\/$/, '').includes('/') && repo.codeMentions(p.replace(/\/$/, ''))) return [];
  if (repo.hasPathEnding(p.replace(/\/$/, '')) || repo.hasPathEnding(p)) return [];
  return [`no file or folder ${p} in the repository`];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function checkLink(repo: Repository, page: string, target: string): string | null {
  const [file, anchor] = target.split('#', 2);
  const resolved = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURIComponent(file)));
  if (resolved.startsWith('..')) return `links outside the repository (${resolved})`;
  if (!repo.hasPath(resolved)) return `no file or folder ${resolved}`;
  if (anchor === undefined || anchor === '' || !resolved.endsWith('.md')) return null;
  const text = fs.readFileSync(path.join(repo.root, resolved), 'utf8');
  const anchors = new Set(
    text
      .split('\n')
      .filter((l) => /^#{1,6}\s/.test(l))
      .map((l) => headingAnchor(l.replace(/^#+\s*/, ''))),
  );
  // Named anchors count too (GitHub keeps `<a id>`): docs/results.md gives each row of its table one.
  for (const m of text.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(m[1]);
  return anchors.has(anchor) ? null : `no heading #${anchor} in ${resolved}`;
}

/** The folders' own READMEs, checked like the pages. */
const FOLDER_READMES = ['bench/README.md', 'scripts/lib/README.md', 'runtime/data/README.md', 'src/data/README.md', 'src/layers/README.md', 'src/optim/README.md', 'web/README.md'];

/** The pages checked: README.md, every page in docs/ and the folders' READMEs. Paths relative to the root. */
export function docPages(root: string): string[] {
  const docs = fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs, ...FOLDER_READMES.filter((f) => fs.existsSync(path.join(root, f)))];
}

/**
 * Repository paths that one code file's comments and messages name (`reference/catalogue/run.ts`,
 * `docs/batchnorm.md`): each must exist. Globs and template strings (`layers_*.ts`, `scripts/${name}.ts`) are not
 * paths and are left alone. file: the file's repository-relative path. text: its contents.
 */
export function checkCodeMentions(repo: Repository, file: string, text: string): Unresolved[] {
  const problems: Unresolved[] = [];
  const mention = /(?<![\w./-])((?:src|runtime|reference|learn|scripts|web|bench|spec|docs|notebooks)\/[\w./-]*[\w/])(?![\w*$<{-])/g;
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(mention)) {
      // A module named as an import names it, without its .ts.
      if (!repo.hasPath(m[1]) && !repo.hasPath(`${m[1]}.ts`)) problems.push({ page: file, line: i + 1, name: m[1], why: `no file or folder ${m[1]} in the repository` });
    }
  });
  return problems;
}

/** One line per problem: `page:line: `name`: why`. */
export function formatUnresolved(problems: Unresolved[]): string {
  return problems.map((p) => `${p.page}:${p.line}: \`${p.name}\`: ${p.why}`).join('\n');
}
