import { afterEach, describe, expect, it, vi } from 'vitest'
import { launchProgressPrinter } from '../../src/main/cli/launchProgressPrinter'

describe('launch progress on the terminal', () => {
  afterEach(() => void vi.useRealTimers())

  it('prints every step, and a download at most once a second plus its last line', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const print = launchProgressPrinter((line) => void lines.push(line))
    print({ step: 'image', message: 'preparing the ubuntu image' })
    const MiB = 2 ** 20
    for (let i = 1; i <= 10; i++) {
      print({ step: 'image', message: 'downloading ubuntu.img', bytes: i * 10 * MiB, totalBytes: 100 * MiB, percent: i * 10 })
      vi.advanceTimersByTime(400)
    }
    print({ step: 'lease', message: 'leasing a subnet' })
    expect(lines).toEqual([
      'bpvm: [image] preparing the ubuntu image\n',
      'bpvm: [image] downloading ubuntu.img: 10 MiB of 100 MiB (10 %)\n',
      'bpvm: [image] downloading ubuntu.img: 40 MiB of 100 MiB (40 %)\n',
      'bpvm: [image] downloading ubuntu.img: 70 MiB of 100 MiB (70 %)\n',
      'bpvm: [image] downloading ubuntu.img: 100 MiB of 100 MiB (100 %)\n',
      'bpvm: [lease] leasing a subnet\n'
    ])
  })

  it('shows a download of unknown size by its bytes alone', () => {
    const lines: string[] = []
    launchProgressPrinter((line) => void lines.push(line))({ step: 'image', message: 'downloading initrd', bytes: 1536 })
    expect(lines).toEqual(['bpvm: [image] downloading initrd: 1.5 KiB\n'])
  })
})
