import { existsSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BpvmError } from '../../shared/errors'

/**
 * The built renderer (`electron-vite build` writes out/renderer/). Built code lives flat in
 * out/main/, so it is `../renderer` from there; run from source (src/main/serve/), it is the
 * repository's out/renderer.
 */
export function builtRendererDir(callerUrl: string = import.meta.url): string {
  const relativeDir = callerUrl.endsWith('.ts') ? '../../../out/renderer' : '../renderer'
  return fileURLToPath(new URL(relativeDir, callerUrl))
}

/** Fails with one clear line when the UI was never built. */
export function requireBuiltRenderer(dir: string): string {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new BpvmError('UI_NOT_BUILT', `the UI is not built (${join(dir, 'index.html')} is missing); run \`npm run build\` first`)
  }
  return dir
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8'
}

export const contentTypeOf = (file: string): string => CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'

export type StaticLookup = { status: 200; file: string; size: number } | { status: 400 | 404 }

const isInside = (root: string, path: string): boolean => {
  const inside = relative(root, path)
  return inside !== '' && inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside)
}

/**
 * The file under `rootDir` a URL path names, or why not: 400 for a path that does not decode
 * or holds a NUL or backslash, 404 for anything missing or outside `rootDir` (through `..`,
 * encoded separators or a symlink).
 */
export async function lookupStaticFile(rootDir: string, pathname: string): Promise<StaticLookup> {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return { status: 400 }
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400 }
  const root = resolve(rootDir)
  const file = resolve(join(root, decoded === '/' ? 'index.html' : decoded))
  if (!isInside(root, file)) return { status: 404 }
  try {
    const real = await realpath(file)
    if (!isInside(await realpath(root), real)) return { status: 404 }
    const info = await stat(real)
    return info.isFile() ? { status: 200, file: real, size: info.size } : { status: 404 }
  } catch {
    return { status: 404 }
  }
}
