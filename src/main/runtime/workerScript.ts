import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * How to start a worker whose entry is `<name>` beside the calling module. Built code lives
 * flat in out/main/ (see electron.vite.config.ts), so `<name>.js` sits beside the caller.
 * Run from TypeScript source (tests, `node --import tsx`), the `.ts` entry is loaded through
 * tsx's API from a small bootstrap, since Node 20 workers ignore an `--import` loader.
 */
export function workerScript(callerUrl: string, name: string): URL {
  if (!callerUrl.endsWith('.ts')) return new URL(`./${name}.js`, callerUrl)
  const entry = new URL(`./${name}.ts`, callerUrl).href
  const tsxRoot = dirname(createRequire(callerUrl).resolve('tsx/package.json'))
  const tsxApi = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href
  const bootstrap = `import { tsImport } from ${JSON.stringify(tsxApi)}; await tsImport(${JSON.stringify(entry)}, ${JSON.stringify(callerUrl)})`
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`)
}
