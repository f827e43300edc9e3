import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'docs/**', '.bench-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } }
  },
  {
    languageOptions: { globals: { ...globals.node } }
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'no-restricted-imports': 'off'
    }
  },
  {
    // The runtime is plain Node: it must never reach for Electron.
    files: ['src/main/runtime/**', 'src/main/cli/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] }
  },
  {
    // One door to the runtime: only the service (src/service, with its local operations for the
    // CLI) calls runtime functions. The hosts (the app's main process, its IPC, bpvm serve, the
    // worker, the CLI), the shared contract, the preload and the renderer may import its types only.
    files: ['src/main/*.ts', 'src/main/ipc/**', 'src/main/serve/**', 'src/main/worker/**', 'src/main/cli/**', 'src/worker/**', 'src/shared/**', 'src/preload/**', 'src/renderer/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/runtime', '**/runtime/**'], allowTypeImports: true, message: 'only src/service calls the runtime; ask the service (an API call) instead' }] }
      ],
      // The same for a module loaded when it is needed (`await import(…)`).
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportExpression[source.value=/(^|\\/)runtime(\\/|$)/]', message: 'only src/service calls the runtime; ask the service (an API call) instead' }
      ]
    }
  }
)
