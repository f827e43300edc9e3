import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BpvmError } from '../../../../shared/errors'
import { generateModuleIndex } from './depmod'
import { modulesToLoad, parseModuleIndex, type LoadableModule } from './kernelModules'

/** What the dev guest takes from an unpacked kernel package. */
export interface KernelTree {
  release: string
  vmlinuz: string
  /** Modules to load, in order, with absolute paths. */
  modules: Array<LoadableModule & { path: string }>
}

async function onlyEntry(dir: string, what: string): Promise<string> {
  const entries = await readdir(dir).catch(() => [] as string[])
  if (entries.length !== 1 || entries[0] === undefined) {
    throw new BpvmError('KERNEL_PACKAGE_INVALID', `expected one kernel under ${what} in the package, found ${entries.length}`)
  }
  return entries[0]
}

/**
 * Finds the kernel image and the modules `roots` need in a kernel package unpacked under
 * `root`. The package has no modules.dep (its postinst would make one), so depmod writes it.
 */
export async function readKernelTree(root: string, roots: readonly string[]): Promise<KernelTree> {
  const release = await onlyEntry(join(root, 'lib/modules'), 'lib/modules')
  const vmlinuz = join(root, 'boot', `vmlinuz-${release}`)
  if (!(await stat(vmlinuz).catch(() => undefined))?.isFile()) {
    throw new BpvmError('KERNEL_PACKAGE_INVALID', `the kernel package has no boot/vmlinuz-${release}`)
  }
  const modulesDir = join(root, 'lib/modules', release)
  await generateModuleIndex(root, release)
  const [dep, builtin] = await Promise.all([readFile(join(modulesDir, 'modules.dep'), 'utf8'), readFile(join(modulesDir, 'modules.builtin'), 'utf8')])
  const modules = modulesToLoad(parseModuleIndex(dep, builtin), roots).map((m) => {
    // busybox insmod takes plain .ko files only.
    if (!m.file.endsWith('.ko')) {
      throw new BpvmError('KERNEL_PACKAGE_INVALID', `kernel module ${m.name} is compressed (${m.file}); the dev guest needs plain .ko files`)
    }
    return { ...m, path: join(modulesDir, m.file) }
  })
  return { release, vmlinuz, modules }
}
