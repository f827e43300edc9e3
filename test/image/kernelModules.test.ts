import { describe, expect, it } from 'vitest'
import { moduleName, modulesToLoad, parseModuleIndex, type ModuleIndex } from '../../src/main/runtime/image/devGuest/kernelModules'

// Shaped like a real depmod output: each line lists every module the first one needs.
const MODULES_DEP = `
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/fat/fat.ko:
kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko
kernel/fs/nls/nls_iso8859-1.ko:
kernel/fs/nls/nls_cp437.ko.xz:
kernel/drivers/unused/unused.ko: kernel/fs/fat/fat.ko
`
const MODULES_BUILTIN = `kernel/fs/ext4/ext4.ko
kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko
`

const index = (): ModuleIndex => parseModuleIndex(MODULES_DEP, MODULES_BUILTIN)
const names = (roots: string[], from = index()): string[] => modulesToLoad(from, roots).map((m) => m.name)

/** Every module comes after each module it depends on. */
function expectDependencyOrder(order: string[], from: ModuleIndex): void {
  for (const [at, name] of order.entries()) {
    for (const dep of from.depends.get(name) ?? []) expect(order.indexOf(dep), `${dep} before ${name}`).toBeLessThan(at)
  }
}

describe('kernel module selection from modules.dep', () => {
  it('names modules as the kernel does', () => {
    expect(moduleName('kernel/fs/nls/nls_iso8859-1.ko')).toBe('nls_iso8859_1')
    expect(moduleName('kernel/fs/nls/nls_cp437.ko.xz')).toBe('nls_cp437')
    expect(moduleName('virtio_pci')).toBe('virtio_pci')
  })

  it('loads each root after the whole closure of what it depends on, each module once', () => {
    const from = index()
    const order = names(['virtio_pci', 'virtio_blk', 'virtio_net', 'vfat'], from)
    expect(order).toEqual(['virtio_pci_modern_dev', 'virtio_ring', 'virtio', 'virtio_pci', 'virtio_blk', 'failover', 'net_failover', 'virtio_net', 'fat', 'vfat'])
    expectDependencyOrder(order, from)
  })

  it('gives the file of each module as modules.dep names it', () => {
    expect(modulesToLoad(index(), ['nls_iso8859-1', 'nls_cp437'])).toEqual([
      { name: 'nls_iso8859_1', file: 'kernel/fs/nls/nls_iso8859-1.ko' },
      { name: 'nls_cp437', file: 'kernel/fs/nls/nls_cp437.ko.xz' }
    ])
  })

  it('loads nothing for a root built into the kernel, and leaves out modules no root needs', () => {
    expect(names(['ext4'])).toEqual([])
    expect(names(['ext4', 'vfat'])).toEqual(['fat', 'vfat'])
  })

  it('follows only direct dependencies when a modules.dep lists no more than those', () => {
    const from = parseModuleIndex('c.ko: b.ko\nb.ko: a.ko\na.ko:\nd.ko: c.ko a.ko\n', '')
    const order = names(['d'], from)
    expect(order).toEqual(['a', 'b', 'c', 'd'])
    expectDependencyOrder(order, from)
  })

  it('refuses a root the kernel has neither as a module nor built in', () => {
    expect(() => names(['vfat', 'no_such_driver'])).toThrow(expect.objectContaining({ code: 'MODULE_NOT_FOUND', message: expect.stringMatching(/no_such_driver is neither/) }))
  })

  it('refuses a dependency missing from modules.dep, naming who needs it', () => {
    const from = parseModuleIndex('a.ko: kernel/gone.ko\n', '')
    expect(() => names(['a'], from)).toThrow(/gone is needed by a but missing from modules.dep/)
  })

  it('refuses a dependency cycle instead of looping', () => {
    const from = parseModuleIndex('a.ko: b.ko\nb.ko: a.ko\n', '')
    expect(() => names(['a'], from)).toThrow(expect.objectContaining({ code: 'MODULE_INDEX_INVALID', message: expect.stringMatching(/cycle: a → b → a/) }))
  })

  it('refuses a modules.dep line it cannot read', () => {
    expect(() => parseModuleIndex('this is not a modules.dep line\n', '')).toThrow(/cannot read the line/)
  })
})
