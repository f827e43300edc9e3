import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The packages installed in a built tree, read from its dpkg database (no program run). */
export async function installedPackages(tree: string): Promise<Map<string, string>> {
  const text = await readFile(join(tree, 'var/lib/dpkg/status'), 'utf8')
  return parseDpkgStatus(text)
}

export function parseDpkgStatus(text: string): Map<string, string> {
  const installed = new Map<string, string>()
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (key: string): string | undefined => new RegExp(`^${key}: *(.*)$`, 'm').exec(stanza)?.[1]?.trim()
    const name = field('Package')
    const version = field('Version')
    if (name && version && field('Status') === 'install ok installed') installed.set(name, version)
  }
  return installed
}
