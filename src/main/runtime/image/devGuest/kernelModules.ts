import { BpvmError } from '../../../../shared/errors'

/**
 * Which kernel modules the guest loads, worked out from the kernel's own module index: the
 * roots we need plus everything they depend on, each after its dependencies.
 */

export interface ModuleIndex {
  /** Module name → its file, relative to the modules directory. */
  files: Map<string, string>
  /** Module name → names of the modules it needs loaded first. */
  depends: Map<string, string[]>
  /** Names compiled into the kernel: nothing to load. */
  builtin: Set<string>
}

export interface LoadableModule {
  name: string
  /** Relative to the modules directory, as written in modules.dep. */
  file: string
}

/** The kernel's name for a module file: `kernel/fs/nls/nls_iso8859-1.ko` → `nls_iso8859_1`. */
export function moduleName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.ko(\.(gz|xz|zst))?$/, '')
  return base.replaceAll('-', '_')
}

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))

/** Reads `modules.dep` (`file: dep-file dep-file…`) and `modules.builtin` (one file a line). */
export function parseModuleIndex(modulesDep: string, modulesBuiltin: string): ModuleIndex {
  const files = new Map<string, string>()
  const depends = new Map<string, string[]>()
  for (const line of lines(modulesDep)) {
    const colon = line.indexOf(':')
    if (colon <= 0) throw new BpvmError('MODULE_INDEX_INVALID', `modules.dep: cannot read the line ${JSON.stringify(line)}`)
    const file = line.slice(0, colon)
    const name = moduleName(file)
    files.set(name, file)
    depends.set(name, line.slice(colon + 1).split(/\s+/).filter((f) => f !== '').map(moduleName))
  }
  return { files, depends, builtin: new Set(lines(modulesBuiltin).map(moduleName)) }
}

/**
 * The modules to load for `roots`, each after everything it depends on. A root built into
 * the kernel needs nothing; a root the kernel has neither way is an error, not a silent gap.
 */
export function modulesToLoad(index: ModuleIndex, roots: readonly string[]): LoadableModule[] {
  const order: LoadableModule[] = []
  const done = new Set<string>()
  const visiting: string[] = []

  const visit = (name: string, neededBy: string | undefined): void => {
    if (done.has(name)) return
    if (visiting.includes(name)) {
      throw new BpvmError('MODULE_INDEX_INVALID', `modules.dep has a dependency cycle: ${[...visiting, name].join(' → ')}`)
    }
    const file = index.files.get(name)
    if (file === undefined) {
      if (index.builtin.has(name)) {
        done.add(name)
        return
      }
      const why = neededBy === undefined ? 'is neither a module nor built into this kernel' : `is needed by ${neededBy} but missing from modules.dep`
      throw new BpvmError('MODULE_NOT_FOUND', `kernel module ${name} ${why}`, { module: name })
    }
    visiting.push(name)
    for (const dep of index.depends.get(name) ?? []) visit(dep, name)
    visiting.pop()
    done.add(name)
    order.push({ name, file })
  }

  for (const root of roots) visit(moduleName(root), undefined)
  return order
}
