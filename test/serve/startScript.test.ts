import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/runCli'
import { useTempDirs } from '../support/tempDirs'

/** What scripts/start.mjs decides for a host like this one (run in a child: the script is plain JS, outside the TypeScript projects). */
async function decide(env: Record<string, string>, platform: string, electronDir: string): Promise<string | null> {
  const script = `
    import { electronUnavailable } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'scripts', 'start.mjs')).href)}
    process.stdout.write(JSON.stringify(electronUnavailable(${JSON.stringify(env)}, ${JSON.stringify(platform)}, new URL(${JSON.stringify(`${pathToFileURL(electronDir).href}/`)})) ?? null))`
  const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', script])
  return JSON.parse(stdout) as string | null
}

describe('npm start (scripts/start.mjs): desktop app or headless server', () => {
  const tempDir = useTempDirs()

  async function electronPackage(options: { pathTxt?: string; binary?: boolean }): Promise<string> {
    const dir = await tempDir()
    if (options.pathTxt !== undefined) await writeFile(join(dir, 'path.txt'), options.pathTxt)
    if (options.binary) {
      await mkdir(join(dir, 'dist'))
      await writeFile(join(dir, 'dist', 'electron'), '')
    }
    return dir
  }

  it('starts the desktop app where there is a display and an Electron binary', async () => {
    const installed = await electronPackage({ pathTxt: 'electron', binary: true })
    expect(await decide({ DISPLAY: ':0' }, 'linux', installed)).toBeNull()
    expect(await decide({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux', installed)).toBeNull()
    expect(await decide({}, 'darwin', installed)).toBeNull()
  })

  it('serves headless on Linux without a display', async () => {
    const installed = await electronPackage({ pathTxt: 'electron', binary: true })
    expect(await decide({}, 'linux', installed)).toBe('no display ($DISPLAY and $WAYLAND_DISPLAY are unset)')
  })

  it('serves headless when the Electron binary was never downloaded', async () => {
    expect(await decide({ DISPLAY: ':0' }, 'linux', await electronPackage({}))).toBe('the Electron binary is not installed (node_modules/electron/path.txt is missing)')
    expect(await decide({ DISPLAY: ':0' }, 'linux', await electronPackage({ pathTxt: 'electron' }))).toBe(
      'the Electron binary is not installed (node_modules/electron/dist/electron is missing)'
    )
  })
})
