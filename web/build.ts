/**
 * Bundles the playground page for the browser with esbuild, in memory (the server holds the bundles and serves
 * them, nothing is written to disk): web/main.ts, the page's thread, and web/worker.ts, the training worker with
 * the src/ library it imports.
 *
 * With `impl: 'exercises'` (npm run web -- --impl exercises) every import of a library file `src/<file>` whose
 * twin `<workspace>/<file>` exists is bundled from the workspace instead: the page trains the learner's code, and
 * says which files are theirs (the list is compiled into the page as __LEARNER_PIECES__).
 *
 * The library is shared with the Node scripts, so a few of its files import Node-only modules: the Solver imports
 * checkpoints (node:fs, node:crypto, node:os) and the terminal progress bar (cli-progress). The page never saves a
 * checkpoint nor draws a terminal bar, so those imports are replaced by a stub whose every member is undefined; a
 * call would fail at once ("x is not a function") rather than silently do something else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import * as esbuild from 'esbuild';
import { workspaceDir, workspaceHas } from '../learn/impl';

/** The page's folder (this file's). */
export const WEB_DIR = __dirname;
const PROJECT_ROOT = path.resolve(WEB_DIR, '..');
const SRC_DIR = path.join(PROJECT_ROOT, 'src');

/** Modules that exist only in Node, or only make sense on a terminal. */
const NODE_ONLY = new Set([...builtinModules, 'cli-progress']);

function isNodeOnly(spec: string): boolean {
  return spec.startsWith('node:') || NODE_ONLY.has(spec) || NODE_ONLY.has(spec.split('/')[0]);
}

/** esbuild plugin: resolves Node-only imports to an empty CommonJS module. */
const stubNodeOnly: esbuild.Plugin = {
  name: 'stub-node-only',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (isNodeOnly(args.path) ? { path: args.path, namespace: 'node-only' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'node-only' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** The file an import names, as esbuild would find it (x.ts, x/index.ts, x as written), or null. */
function findSource(resolveDir: string, spec: string): string | null {
  const base = path.resolve(resolveDir, spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/**
 * esbuild plugin: a relative import that lands in src/ is bundled from the workspace's twin when there is one;
 * `used` collects the twins taken (paths relative to src/).
 */
function workspacePieces(workspace: string, used: Set<string>): esbuild.Plugin {
  return {
    name: 'workspace-pieces',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = findSource(args.resolveDir, args.path);
        if (!file) return undefined;
        const rel = path.relative(SRC_DIR, file);
        if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
        const mine = path.join(workspace, rel);
        // A FIFO or a link to /dev/zero is refused by name (learn/impl.ts's workspaceHas), never handed to esbuild.
        if (!workspaceHas(mine)) return undefined;
        used.add(rel.split(path.sep).join('/'));
        return { path: mine };
      });
    },
  };
}

export interface BundleFile {
  /** The script, an ES module. */
  js: Uint8Array;
  /** Its source map (sources relative to the project root). */
  map: Uint8Array;
}

export interface PageBundle {
  /** The page's thread (web/main.ts) and the training worker (web/worker.ts). */
  main: BundleFile;
  worker: BundleFile;
  /** How long the build took, in milliseconds. */
  ms: number;
  /** With --impl exercises: the workspace and the library files taken from it (relative to src/); else null. */
  learner: { dir: string; files: string[] } | null;
}

export interface BuildOptions {
  /** 'exercises': bundle the workspace's twins of src/ files in their place (default 'library'). */
  impl?: 'library' | 'exercises';
  /** The learner's workspace (default: learn/impl.ts's workspaceDir(): CS231N_EXERCISES_DIR, else exercises/). */
  workspace?: string;
}

/**
 * Builds web/main.ts and web/worker.ts, each into one ES module for current browsers. Throws esbuild's error
 * (file, line, message) on failure, and a one-line refusal when --impl exercises names a workspace that is not a
 * folder.
 */
export async function buildPage(options: BuildOptions = {}): Promise<PageBundle> {
  const start = performance.now();
  const used = new Set<string>();
  let learnerDir: string | null = null;
  const plugins = [stubNodeOnly];
  if (options.impl === 'exercises') {
    const dir = path.resolve(options.workspace ?? workspaceDir());
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new Error(`--impl exercises: the workspace ${dir} is not a folder; run \`npm run exercises -- init\` first, or set CS231N_EXERCISES_DIR`);
    }
    learnerDir = dir;
    plugins.unshift(workspacePieces(dir, used));
  }
  const bundle = async (entry: string, learner: PageBundle['learner']): Promise<BundleFile> => {
    const result = await esbuild.build({
      entryPoints: [path.join(WEB_DIR, `${entry}.ts`)],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      sourcemap: 'external',
      outfile: path.join(WEB_DIR, 'dist', `${entry}.js`),
      logLevel: 'silent',
      plugins,
      // A workspace outside the project finds its packages in the project's node_modules.
      nodePaths: [path.join(PROJECT_ROOT, 'node_modules')],
      // tfjs reads process.env.NODE_ENV in places; a browser has no `process`.
      define: { 'process.env.NODE_ENV': '"production"', __LEARNER_PIECES__: JSON.stringify(learner) },
    });
    const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
    const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
    if (!js || !map) throw new Error(`buildPage: esbuild produced ${result.outputFiles.map((f) => f.path).join(', ')}, expected ${entry}.js and ${entry}.js.map`);
    return { js: js.contents, map: map.contents };
  };
  // The worker first: it imports the library, so it finds the learner's files, which the page then names.
  const worker = await bundle('worker', null);
  const learner = learnerDir === null ? null : { dir: learnerDir, files: [...used].sort() };
  const main = await bundle('main', learner);
  return { main, worker, ms: performance.now() - start, learner };
}
