import { chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'

/** A stand-in for the blueprint binary: prints its argument count, its arguments, then its environment, NUL-separated. */
export const ECHO_SERVICE = `#!/bin/sh
printf '%s\\0' "$#" "$@"
env -0
`

export interface LaunchOutcome {
  argv: string[]
  env: Map<string, string>
}

function parseEcho(output: Uint8Array): LaunchOutcome {
  const fields = Buffer.from(output).toString('utf8').split('\0')
  const count = Number(fields[0])
  const argv = fields.slice(1, 1 + count)
  const env = new Map<string, string>()
  for (const entry of fields.slice(1 + count)) {
    if (entry === '') continue
    const at = entry.indexOf('=')
    env.set(entry.slice(0, at), entry.slice(at + 1))
  }
  return { argv, env }
}

/**
 * Runs `<shell> /srv/launch` from a service disk's extracted contents, with that directory
 * bind-mounted on /srv inside a private mount namespace: the guest's view, without ever
 * touching the host's /srv.
 */
export async function runLaunch(extractedDir: string, shell = '/bin/sh'): Promise<LaunchOutcome> {
  // The guest mounts the FAT disk with every file executable; mtools' copies are not.
  await chmod(join(extractedDir, 'service'), 0o755)
  const result = await execa('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /srv && exec "$2" /srv/launch', 'sh', extractedDir, shell], {
    encoding: 'buffer',
    extendEnv: false,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' },
    stdin: 'ignore',
    timeout: 30_000
  })
  return parseEcho(result.stdout)
}
