/**
 * The house rules of src/ (docs/architecture.md), checked by `npm run check:deps` in CI.
 * The core is everything in src/ outside models/, kernels/, node/ and cli/.
 */
const CORE = '^src/(?!models/|kernels/|node/|cli/)';
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycles anywhere in src, type-only imports included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-core-only',
      severity: 'error',
      comment: 'The core imports @tensorflow/tfjs-core and itself: no models, kernels, node, cli, layers or Node built-ins.',
      from: { path: CORE },
      to: { path: ['^src/(models|kernels|node|cli)/', '@tensorflow/tfjs-layers', '^(node:|fs|path|os|worker_threads|child_process)'] },
    },
    {
      name: 'core-no-node-builtins',
      severity: 'error',
      from: { path: CORE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'kernels-import-core-only',
      severity: 'error',
      comment: 'kernels/ imports the core and tfjs-core only.',
      from: { path: '^src/kernels/' },
      to: { path: ['^src/(models|node|cli)/', '@tensorflow/tfjs-layers'] },
    },
    {
      name: 'kernels-no-node-builtins',
      severity: 'error',
      from: { path: '^src/(kernels|models)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'models-not-node',
      severity: 'error',
      comment: 'models/ may import the core, kernels/ and tfjs-layers; never node/ or cli/.',
      from: { path: '^src/models/' },
      to: { path: '^src/(node|cli)/' },
    },
    {
      name: 'node-not-cli',
      severity: 'error',
      comment: 'node/ may import everything but cli/.',
      from: { path: '^src/node/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'kernels-through-their-door',
      severity: 'error',
      comment: 'Outside kernels/ and node/runtime/ (which starts its helper threads), the wing is entered through kernels/index.ts.',
      from: { path: '^src/(?!kernels/|node/runtime/)' },
      to: { path: '^src/kernels/(?!index\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
