// ESLint flat config. The rule that matters most here: src/ must not use autodiff or tfjs's optimisers/layers.
// Every gradient in src/ is written by hand; reference/ is where tf.grad lives, to cross-check them.
const tseslint = require('typescript-eslint');
const noTypedArrayFromTidy = require('./eslint/no-typed-array-from-tidy');

const AUTODIFF = ['grad', 'grads', 'valueAndGrad', 'valueAndGrads', 'variableGrads', 'customGrad'];
const autodiffMessage = 'No autodiff in src/: write the backward pass by hand (autodiff belongs in reference/).';

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'web/dist/**', 'coverage/**', 'runs/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { local: { rules: { 'no-typed-array-from-tidy': noTypedArrayFromTidy } } },
    rules: {
      'local/no-typed-array-from-tidy': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'web/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `MemberExpression[property.name=/^(${AUTODIFF.join('|')})$/]`,
          message: autodiffMessage,
        },
        {
          selector: "MemberExpression[object.name=/^tf/][property.name='train']",
          message: 'No tf.train.* optimisers in src/: update rules are hand-written.',
        },
        {
          selector: `ImportSpecifier[imported.name=/^(${AUTODIFF.join('|')}|train)$/]`,
          message: autodiffMessage,
        },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@tensorflow/tfjs-layers', '@tensorflow/tfjs-layers/*'], message: 'No tfjs-layers in src/: layers are hand-written.' }] },
      ],
    },
  },
);
