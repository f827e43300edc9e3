import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

/**
 * The lint rule that keeps one door to the runtime: every host (the CLI among them) may import
 * runtime types only; the service may call it. Checked on probe code in each place, as the
 * project's own ESLint configuration sees it.
 */
describe('one door to the runtime', () => {
  const eslint = new ESLint({ cwd: process.cwd() })
  const RUNTIME_RULES = ['@typescript-eslint/no-restricted-imports', 'no-restricted-syntax']

  async function runtimeProblems(filePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath })
    return (result?.messages ?? []).filter((m) => RUNTIME_RULES.includes(m.ruleId ?? '')).map((m) => m.message)
  }

  const HOSTS = ['src/main/cli/probe.ts', 'src/main/serve/probe.ts', 'src/main/ipc/probe.ts', 'src/main/worker/probe.ts', 'src/worker/probe.ts', 'src/main/probe.ts']

  it.each(HOSTS)('%s may not call the runtime, statically or by a late import', async (file) => {
    const runtime = file.startsWith('src/main/') && file.split('/').length === 3 ? './runtime' : file.startsWith('src/main/') ? '../runtime' : '../main/runtime'
    const statically = await runtimeProblems(file, `import { reconcile } from '${runtime}/instance/reconcile'\nexport const probe = reconcile\n`)
    expect(statically).toEqual([expect.stringMatching(/only src\/service calls the runtime/)])
    const late = await runtimeProblems(file, `export const probe = () => import('${runtime}/instance/reconcile')\n`)
    expect(late).toEqual([expect.stringMatching(/only src\/service calls the runtime/)])
    const typesOnly = await runtimeProblems(file, `import type { ReconcileReport } from '${runtime}/instance/reconcile'\nexport type Probe = ReconcileReport\n`)
    expect(typesOnly).toEqual([])
  })

  it('the service may call it', async () => {
    expect(await runtimeProblems('src/service/probe.ts', `import { reconcile } from '../main/runtime/instance/reconcile'\nexport const probe = reconcile\n`)).toEqual([])
    expect(await runtimeProblems('src/service/local/probe.ts', `export const probe = () => import('../../main/runtime/instance/reconcile')\n`)).toEqual([])
  })

  it('the tree as it is keeps to it', async () => {
    const results = await eslint.lintFiles(['src/main/cli', 'src/main/serve', 'src/main/ipc', 'src/worker', 'src/shared', 'src/preload'])
    const broken = results.flatMap((r) => r.messages.filter((m) => RUNTIME_RULES.includes(m.ruleId ?? '')).map((m) => `${r.filePath}:${m.line}`))
    expect(broken).toEqual([])
  })
})
