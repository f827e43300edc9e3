import { open } from 'node:fs/promises'

/** The last lines a VMM wrote to stderr, as `: <lines>` for an error message, or '' when there are none. */
export async function stderrTail(path: string, maxBytes = 2048, maxLines = 5): Promise<string> {
  const file = await open(path, 'r').catch(() => undefined)
  if (!file) return ''
  try {
    const { size } = await file.stat()
    const length = Math.min(size, maxBytes)
    const buffer = Buffer.alloc(length)
    await file.read(buffer, 0, length, size - length)
    const lines = buffer.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '')
    return lines.length === 0 ? '' : `: ${lines.slice(-maxLines).join(' | ')}`
  } finally {
    await file.close()
  }
}
