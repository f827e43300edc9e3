import { copyFile, mkdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkBinaryComplete, fingerprintServiceFiles } from '../../src/main/runtime/instance/serviceFiles'
import { bpvmFailure } from '../support/bpvmFailure'
import { useTempDirs } from '../support/tempDirs'

describe("a service's files, as a watch sees them", () => {
  const tempDir = useTempDirs()

  it('takes a whole ELF binary and a script, and refuses an ELF file cut short at any point, or an empty file', async () => {
    const dir = await tempDir()
    const whole = join(dir, 'true')
    await copyFile('/bin/true', whole)
    await expect(checkBinaryComplete(whole)).resolves.toBeUndefined()
    await writeFile(join(dir, 'script'), '#!/bin/sh\necho hi\n')
    await expect(checkBinaryComplete(join(dir, 'script'))).resolves.toBeUndefined()

    const size = (await readFile(whole)).length
    // Cut in the header, in the program headers, in a segment, and just short of the end.
    for (const length of [20, 100, Math.floor(size / 2), size - 1]) {
      const cut = join(dir, `cut-${length}`)
      await copyFile(whole, cut)
      await truncate(cut, length)
      const error = await bpvmFailure(checkBinaryComplete(cut))
      expect(error).toMatchObject({ code: 'BINARY_INCOMPLETE', details: { field: 'binary', path: cut } })
      expect(error.message).toMatch(/is an incomplete ELF file/)
    }
    await writeFile(join(dir, 'empty'), '')
    expect(await bpvmFailure(checkBinaryComplete(join(dir, 'empty')))).toMatchObject({ code: 'BINARY_INCOMPLETE', message: `binary: ${join(dir, 'empty')} is empty` })
    expect(await bpvmFailure(checkBinaryComplete(join(dir, 'gone')))).toMatchObject({ code: 'BINARY_INCOMPLETE' })
  })

  it('changes its fingerprint when the binary or any keystore file is rewritten, replaced, touched or removed, and only then', async () => {
    const dir = await tempDir()
    const binary = join(dir, 'svc')
    const keystore = join(dir, 'keystore')
    await writeFile(binary, 'v1', { mode: 0o755 })
    await mkdir(join(keystore, 'sr25519'), { recursive: true })
    await writeFile(join(keystore, 'sr25519', 'key'), 'k1')
    const seen = new Set<string>()
    const look = async (): Promise<string> => fingerprintServiceFiles(binary, keystore)
    const first = await look()
    expect(await look()).toBe(first)
    seen.add(first)
    const changes: Array<() => Promise<unknown>> = [
      () => writeFile(binary, 'v2'),
      () => utimes(binary, new Date(2030, 0, 1), new Date(2030, 0, 1)),
      () => writeFile(join(keystore, 'sr25519', 'key'), 'k2-longer'),
      () => writeFile(join(keystore, 'sr25519', 'another'), 'k3'),
      () => rm(join(keystore, 'sr25519', 'another')),
      () => rm(binary)
    ]
    for (const change of changes) {
      await change()
      const now = await look()
      expect(seen.has(now)).toBe(false)
      seen.add(now)
    }
  })
})
