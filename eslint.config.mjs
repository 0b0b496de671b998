import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import requireAccess from './tools/eslint/require-access.mjs';
import { tenancyConfigs } from './tools/eslint/tenancy-rules.mjs';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'libs/db/src/generated/**', '.nx/**', 'coverage/**', 'libs/sdk/**', 'examples/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { herald: { rules: { 'require-access': requireAccess } } },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:api', onlyDependOnLibsWithTags: ['scope:api', 'scope:shared'] },
            { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['scope:worker', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:public', onlyDependOnLibsWithTags: ['scope:public'] },
            // The web UI talks to Herald only through its public HTTP API (the generated client).
            { sourceTag: 'scope:web', onlyDependOnLibsWithTags: [] },
            // The operator CLI runs API-side (tenant provisioning) and worker-side (retention, key rotation) services.
            { sourceTag: 'scope:ops', onlyDependOnLibsWithTags: ['scope:api', 'scope:worker', 'scope:shared'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data', 'type:util', 'type:testing'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data', 'type:util', 'type:testing'] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:data', 'type:util', 'type:testing'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:data', 'type:util', 'type:testing'] },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': true, 'ts-ignore': true }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through @herald/config.' }],
      'herald/require-access': 'error',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'libs/testing/**/*.ts', 'bench/**/*.ts', 'deploy/**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  // Tenancy by construction (issue 13): who may create a tenant scope, who may hold PrismaService.
  ...tenancyConfigs,
  {
    // Tools outside the deployable processes may read the environment they run in.
    files: ['**/*.mjs', '**/*.mts', 'bench/**/*.ts', '**/test/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
