import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * How to run one of our own entries as a process of its own with this Node (Electron's, as
 * plain Node, in the app): `<built>.js` beside the calling module in built code (out/main is
 * flat, see electron.vite.config.ts), or `<source>.ts` beside it through tsx when run from source.
 */
export function nodeEntryCommand(callerUrl: string, entry: { built: string; source: string }, args: string[]): { program: string; args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}
  if (!callerUrl.endsWith('.ts')) return { program: process.execPath, args: [fileURLToPath(new URL(`./${entry.built}.js`, callerUrl)), ...args], env }
  const tsx = pathToFileURL(createRequire(callerUrl).resolve('tsx')).href
  return { program: process.execPath, args: ['--import', tsx, fileURLToPath(new URL(`./${entry.source}.ts`, callerUrl)), ...args], env }
}
