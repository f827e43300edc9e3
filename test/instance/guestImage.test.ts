import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CUSTOM_IMAGE_FILES, ROOT_DISK_CMDLINE, parseImageChoice, prepareGuest } from '../../src/main/runtime/instance/guestImage'
import { useTempDirs } from '../support/tempDirs'

describe('a custom image directory', () => {
  const tempDir = useTempDirs()

  async function imageDir(files: Record<string, string>): Promise<string> {
    const dir = await tempDir()
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content)
    return dir
  }

  it('boots its vmlinuz with the default command line when it has nothing else', async () => {
    const dir = await imageDir({ [CUSTOM_IMAGE_FILES.kernel]: 'k' })
    expect(await prepareGuest({ dir })).toEqual({ kernel: join(dir, 'vmlinuz'), cmdline: ROOT_DISK_CMDLINE })
  })

  it('takes its initrd, its root disk (qcow2 or raw) and its command line, spaces and newlines folded', async () => {
    const dir = await imageDir({ vmlinuz: 'k', initrd: 'i', 'root.img': 'r', cmdline: 'console=ttyS0\n  root=/dev/vda rw\n' })
    expect(await prepareGuest({ dir })).toEqual({
      kernel: join(dir, 'vmlinuz'),
      initramfs: join(dir, 'initrd'),
      cmdline: 'console=ttyS0 root=/dev/vda rw',
      root: { base: join(dir, 'root.img'), format: 'raw' }
    })
    const qcow2 = await imageDir({ vmlinuz: 'k', 'root.qcow2': 'q' })
    expect((await prepareGuest({ dir: qcow2 })).root).toEqual({ base: join(qcow2, 'root.qcow2'), format: 'qcow2' })
  })

  it('refuses what it cannot boot, naming the image field', async () => {
    await expect(prepareGuest({ dir: join(await tempDir(), 'absent') })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', details: { field: 'image' } })
    await expect(prepareGuest({ dir: await imageDir({ initrd: 'i' }) })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', message: /has no vmlinuz/ })
    await expect(prepareGuest({ dir: await imageDir({ vmlinuz: 'k', 'root.img': 'r', 'root.qcow2': 'q' }) })).rejects.toThrow(/^image: .* both root.qcow2 and root.img/)
    await expect(prepareGuest({ dir: await imageDir({ vmlinuz: 'k', cmdline: ' \n' }) })).rejects.toThrow(/^image: .*kernel command line/)
    const withDirKernel = await tempDir()
    await mkdir(join(withDirKernel, 'vmlinuz'))
    await expect(prepareGuest({ dir: withDirKernel })).rejects.toThrow(/^image: .*vmlinuz must be a regular file/)
  })

  it('is named by a path; other words are not images', () => {
    expect(parseImageChoice('/images/mine')).toEqual({ dir: '/images/mine' })
    expect(() => parseImageChoice('mine')).toThrow(/^image: "mine" is not ubuntu, debian or dev/)
  })
})
