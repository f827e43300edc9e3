import { realpath, stat } from 'node:fs/promises'
import { isAbsolute, relative } from 'node:path'
import { BrowserWindow, app, dialog, shell, type IpcMainInvokeEvent, type OpenDialogOptions, type WebContents } from 'electron'
import { invalidArgument, type ChannelSpec } from '../../shared/api/channel'
import { shellApi } from '../../shared/api/shell'
import { fail, ok } from '../../shared/result'
import { BpvmError } from '../../shared/errors'
import type { ApiBackend } from '../../service/apiBackend'
import { handleTrusted, type IpcRegistrar } from './trustedHandler'

/** What the shell channels need from Electron, passed in so they can be tested without it. */
export interface ShellServices {
  /** A native open dialog over the asking window: the chosen path, or null when cancelled. */
  choosePath(sender: WebContents, options: OpenDialogOptions): Promise<string | null>
  /** Opens a folder in the file manager: '' on success, otherwise why not (as `shell.openPath`). */
  openPath(path: string): Promise<string>
  version: string
  /** An instance's log folder, and the state dir that bounds what may be opened: the runtime service says where. */
  logFolderOf(name: string): Promise<{ folder: string; stateDir: string }>
}

/** The runtime service's answers, for `logFolderOf`: an instance's `logsDir`, and the state dir. */
export function logFolderFrom(backend: Pick<ApiBackend, 'call'>): ShellServices['logFolderOf'] {
  return async (name) => {
    const [instance, settings] = await Promise.all([backend.call('instances:get', { name }), backend.call('settings:get', undefined)])
    if (!instance.ok) throw new BpvmError(instance.error.code, instance.error.message, instance.error.details)
    if (!settings.ok) throw new BpvmError(settings.error.code, settings.error.message, settings.error.details)
    return { folder: instance.value.logsDir, stateDir: settings.value.dirs.state }
  }
}

export function electronShellServices(backend: Pick<ApiBackend, 'call'>): ShellServices {
  return {
    async choosePath(sender, options) {
      const window = BrowserWindow.fromWebContents(sender)
      const choice = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
      return choice.canceled ? null : (choice.filePaths[0] ?? null)
    },
    openPath: (path) => shell.openPath(path),
    version: app.getVersion(),
    logFolderOf: logFolderFrom(backend)
  }
}

/** The `shell:*` channels: same guard and schema check as the API's, answered here rather than by the runtime. */
export function registerShellHandlers(ipc: IpcRegistrar, services: ShellServices): void {
  const serve = <Req, Res>(spec: ChannelSpec<Req, Res>, run: (request: Req, event: IpcMainInvokeEvent) => Promise<Res>): void =>
    handleTrusted(ipc, spec.name, async (request, event) => {
      const parsed = spec.request.safeParse(request)
      return parsed.success ? ok(await run(parsed.data, event)) : fail(invalidArgument(spec.name, parsed.error))
    })
  serve(shellApi.pickBinary, (_request, event) => services.choosePath(event.sender, { title: 'Choose the blueprint binary', properties: ['openFile'] }))
  serve(shellApi.pickKeystore, (_request, event) =>
    services.choosePath(event.sender, { title: 'Choose the keystore folder', properties: ['openDirectory'] })
  )
  serve(shellApi.openLogFolder, ({ name }) => openLogFolder(name, services))
  serve(shellApi.info, async () => ({ transport: 'electron' as const, version: services.version }))
}

/**
 * Opens an instance's log folder, and only that: the name must be an instance name, and the
 * folder, after following symlinks, must be a directory inside the app's state dir, since the
 * file manager would open whatever it is given.
 */
async function openLogFolder(name: string, services: ShellServices): Promise<{ path: string }> {
  const { folder, stateDir } = await services.logFolderOf(name)
  const found = await realpath(folder).catch(() => undefined)
  if (found === undefined) throw new BpvmError('INSTANCE_NOT_FOUND', `${name} has no log folder (${folder})`, { name })
  const inside = relative(await realpath(stateDir), found)
  const isDir = await stat(found).then((info) => info.isDirectory())
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || !isDir) {
    throw new BpvmError('PATH_REFUSED', `${folder} leads to ${found}, which is not a folder inside ${stateDir}`, { name })
  }
  const problem = await services.openPath(found)
  if (problem) throw new BpvmError('OPEN_FAILED', `could not open ${found}: ${problem}`, { name })
  return { path: found }
}
