import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { runServiceScript, serviceExitedScript } from '../../src/main/runtime/disk/guestServiceScripts'
import { parseGuestMarker } from '../../src/main/runtime/vmm/guestMarkers'
import { useTempDirs } from '../support/tempDirs'

/** Runs a script as the guest's systemd would: by /bin/sh, with only the variables systemd sets. */
async function runScript(script: string, env: Record<string, string> = {}): Promise<string> {
  const result = await execa('/bin/sh', ['-c', script, 'sh'], { env: { PATH: '/usr/bin:/bin', ...env }, extendEnv: false })
  return result.stdout
}

describe('the Ubuntu guest launch unit scripts', () => {
  const tempDir = useTempDirs()

  it('run-service prints the started marker with the pid the service keeps, then becomes the service', async () => {
    const dir = await tempDir()
    const launch = join(dir, "launch 'script'")
    await writeFile(launch, 'echo "service pid $$"\n')
    const lines = (await runScript(runServiceScript(launch))).split('\n')
    const marker = parseGuestMarker(lines[0] ?? '')
    expect(marker?.event).toBe('service-started')
    expect(lines[1]).toBe(`service pid ${marker && 'pid' in marker ? marker.pid : -1}`)
  })

  it.each([
    [{ EXIT_CODE: 'exited', EXIT_STATUS: '0' }, 0],
    [{ EXIT_CODE: 'exited', EXIT_STATUS: '3' }, 3],
    [{ EXIT_CODE: 'killed', EXIT_STATUS: 'INT' }, 130],
    [{ EXIT_CODE: 'killed', EXIT_STATUS: 'KILL' }, 137],
    [{ EXIT_CODE: 'dumped', EXIT_STATUS: 'SEGV' }, 139],
    [{ EXIT_CODE: 'exited', EXIT_STATUS: 'odd' }, 255]
  ])('service-exited reports %o as status %i', async (env, status) => {
    expect(parseGuestMarker(await runScript(serviceExitedScript(), env))).toEqual({ event: 'service-exited', status })
  })

  it('service-exited prints nothing when the service never ran', async () => {
    expect(await runScript(serviceExitedScript())).toBe('')
  })
})
