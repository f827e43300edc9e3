import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { execa } from 'execa'

/**
 * A stand-in for Electron's release downloads on 127.0.0.1, laid out as ELECTRON_MIRROR expects
 * (`<mirror>v<version>/<file>`): a stand-in `electron-v<version>-linux-x64.zip` and its
 * SHASUMS256.txt, or nothing at all (every request answered 404). It records every request.
 */
export interface ElectronMirror {
  url: string
  requests: string[]
  close(): Promise<void>
}

/**
 * The stand-in Electron: a shell script that records its working directory, its arguments and
 * the variables the start script passes on into `$STANDIN_ELECTRON_RECORD`, whether the built
 * app it was pointed at exists, and exits.
 */
const STANDIN_ELECTRON = `#!/bin/sh
{
  echo "cwd=$(pwd)"
  for arg in "$@"; do echo "arg=$arg"; done
  echo "ELECTRON_EXEC_PATH=$ELECTRON_EXEC_PATH"
  echo "DISPLAY=$DISPLAY"
  main=$(sed -n 's/^ *"main": *"\\(.*\\)",*$/\\1/p' package.json)
  if [ -f "$main" ]; then echo "built=$main"; fi
} > "$STANDIN_ELECTRON_RECORD"
`

/** Zips the stand-in (mode 0755 kept) with Debian's Python, whose zipfile is always there with python3. */
async function standinZip(dir: string, version: string): Promise<string> {
  const script = join(dir, 'electron')
  await writeFile(script, STANDIN_ELECTRON)
  const zip = join(dir, `electron-v${version}-linux-x64.zip`)
  const python = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1], "w")',
    'entry = zipfile.ZipInfo("electron"); entry.external_attr = 0o100755 << 16',
    'z.writestr(entry, open(sys.argv[2]).read()); z.writestr("version", "v" + sys.argv[3]); z.close()'
  ].join('\n')
  await execa('/usr/bin/python3', ['-c', python, zip, script, version])
  return zip
}

export async function startElectronMirror(options: { dir: string; version: string; serves: 'release' | 'nothing' }): Promise<ElectronMirror> {
  const files = new Map<string, Buffer>()
  if (options.serves === 'release') {
    const zip = await readFile(await standinZip(options.dir, options.version))
    const name = `electron-v${options.version}-linux-x64.zip`
    files.set(`/v${options.version}/${name}`, zip)
    files.set(`/v${options.version}/SHASUMS256.txt`, Buffer.from(`${createHash('sha256').update(zip).digest('hex')} *${name}\n`))
  }
  const requests: string[] = []
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '')
    const body = files.get(request.url ?? '')
    if (!body) {
      response.writeHead(404).end('not found')
      return
    }
    response.writeHead(200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}
