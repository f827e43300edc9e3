import type { ApiEventName, ApiEvents } from '../../shared/api'
import type { Result } from '../../shared/result'

/** Something that answers API calls and pushes API events: the runtime service, or the worker that runs it. */
export interface ApiBackend {
  /** Answers one call; never throws: every failure is an error envelope. `request` is already schema-checked by the caller. */
  call(channel: string, request: unknown): Promise<Result<unknown>>
  /** Every event, for whoever carries them on (IPC to windows, WebSocket to browsers). */
  onEvent(listener: <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void): () => void
  close(): Promise<void>
}
