import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface WorkerEntry {
  /** The script to run. */
  script: string
  /** Node options it needs (the TypeScript loader, when run from source). */
  execArgv: string[]
}

/**
 * Where the backend worker's entry is. Built code lives flat in out/main/ (see
 * electron.vite.config.ts), so `backend.js` sits beside whichever chunk this is. Run from
 * TypeScript source (tests, `node --import tsx`), the `.ts` entry is run with tsx's loader,
 * named by its path so the child finds it from any working directory.
 */
export function backendEntry(callerUrl: string = import.meta.url): WorkerEntry {
  if (!callerUrl.endsWith('.ts')) return { script: fileURLToPath(new URL('./backend.js', callerUrl)), execArgv: [] }
  const tsxRoot = dirname(createRequire(callerUrl).resolve('tsx/package.json'))
  return { script: fileURLToPath(new URL('../../worker/backendWorker.ts', callerUrl)), execArgv: ['--import', pathToFileURL(join(tsxRoot, 'dist/loader.mjs')).href] }
}
