import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { startImageServer } from '../image/imageServer'

/**
 * The test image server as a program, so it can run inside a network namespace (whose
 * 127.0.0.1 is not the test process's): `imageServerChild.ts <dir> [--cut <path>=<bytes>]...`.
 * Serves every file under `<dir>` at its relative path; prints `{"origin":…}` once listening,
 * then one JSON line per request it answered.
 */
const [dir, ...rest] = process.argv.slice(2)
if (!dir) throw new Error('usage: imageServerChild.ts <dir> [--cut <path>=<bytes>]...')

async function filesUnder(root: string, at = root): Promise<Array<[string, Buffer]>> {
  const found: Array<[string, Buffer]> = []
  for (const entry of await readdir(at, { withFileTypes: true })) {
    const path = join(at, entry.name)
    if (entry.isDirectory()) found.push(...(await filesUnder(root, path)))
    else found.push([`/${relative(root, path).split(sep).join('/')}`, await readFile(path)])
  }
  return found
}

const server = await startImageServer(new Map(await filesUnder(dir)))
for (let i = 0; i < rest.length; i += 2) {
  const [path, bytes] = (rest[i + 1] ?? '').split('=')
  if (rest[i] !== '--cut' || !path || !/^\d+$/.test(bytes ?? '')) throw new Error(`bad argument ${rest[i]} ${rest[i + 1]}`)
  server.cutOnce.set(path, Number(bytes))
}
process.stdout.write(`${JSON.stringify({ origin: server.origin })}\n`)
let reported = 0
setInterval(() => {
  for (; reported < server.requests.length; reported++) {
    const request = server.requests[reported]
    if (request?.status) process.stdout.write(`${JSON.stringify(request)}\n`)
    else break
  }
}, 50)
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)))
