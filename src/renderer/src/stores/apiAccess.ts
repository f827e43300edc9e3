import type { ApiEventName, ApiEvents, BpvmApi } from '../../../shared/api'
import type { ShellApi } from '../../../shared/api/shell'
import { fail, type ErrorInfo, type Result } from '../../../shared/result'
import { connectApi } from '../api/connectApi'
import { ERROR_CODES } from '../../../shared/errorCodes'

function useApi(): BpvmApi {
  return connectApi()
}

/** The desktop shell's extras (file dialogs, the file manager), or undefined in a browser. */
export function useShell(): ShellApi | undefined {
  return window.bpvm?.shell
}

/** Turns anything thrown on the way (a missing handler, a dead bridge) into error data. */
function callFailed(cause: unknown): ErrorInfo {
  return { code: ERROR_CODES.IPC_FAILED, message: cause instanceof Error ? cause.message : String(cause) }
}

/** Runs one call; a rejection (or a throw) becomes a failed Result instead of an exception. */
export async function attempt<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await run()
  } catch (cause) {
    return fail(callFailed(cause))
  }
}

/** One API call, as `attempt` runs it. */
export function call<T>(run: (api: BpvmApi) => Promise<Result<T>>): Promise<Result<T>> {
  return attempt(() => run(useApi()))
}

/** Listens to one API event; returns the way to stop. */
export function listen<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
  return useApi().events.on(event, listener)
}
