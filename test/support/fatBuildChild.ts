// Builds one image in a process of its own, so a test can measure its memory or run it
// inside a private mount namespace. Usage: fatBuildChild.ts <out> <source file>...
import { basename } from 'node:path'
import { buildFatImage } from '../../src/main/runtime/disk/fat/buildFatImage'
import { toErrorInfo } from '../../src/shared/errors'

const [out, ...sources] = process.argv.slice(2)
try {
  const report = await buildFatImage({
    label: 'CHILD',
    out: out!,
    entries: sources.map((path) => ({ kind: 'file' as const, name: basename(path), source: { path } }))
  })
  console.log(JSON.stringify({ ok: true, report, maxRssKiB: process.resourceUsage().maxRSS }))
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: toErrorInfo(error), maxRssKiB: process.resourceUsage().maxRSS }))
}
