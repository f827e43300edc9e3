import type { ApiEventName, ApiEvents, ChannelName, ChannelRequest, ChannelResponse } from '../shared/api'
import type { Result } from '../shared/result'

/** Something that answers API calls and pushes API events: the runtime service, or the worker that runs it. */
export interface ApiBackend {
  /** Answers one call; never throws: every failure is an error envelope. `request` is already schema-checked by the caller. */
  call<C extends ChannelName>(channel: C, request: ChannelRequest<C>): Promise<Result<ChannelResponse<C>>>
  /** Every event, for whoever carries them on (IPC to windows, WebSocket to browsers). */
  onEvent(listener: <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void): () => void
  close(): Promise<void>
}
