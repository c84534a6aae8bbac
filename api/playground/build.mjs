// Builds dist/: the Playground bundle, its CSS and Monaco's three workers. Deterministic: the same
// lockfile gives the same bytes (no timestamps, no source maps, fonts inlined).
import { build } from 'esbuild';

const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['es2022'],
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

await build({
  ...common,
  entryPoints: { playground: 'src/index.jsx' },
  outdir: 'dist',
  format: 'esm',
  jsx: 'automatic',
  loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl' },
});

const workers = {
  'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
  'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
  'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
};
for (const [name, entry] of Object.entries(workers)) {
  await build({ ...common, entryPoints: { [name]: entry }, outdir: 'dist', format: 'iife' });
}
