import type { ChannelName, ChannelRequest, ChannelResponse } from '../../shared/api'
import { BpvmError } from '../../shared/errors'
import { createRuntimeService } from '../../service/runtimeService'

/**
 * The CLI's door to the runtime: the same service the app and `bpvm serve` run, in this
 * process, answering one call with exactly the API's response type. A failure comes back as the
 * BpvmError the service reported, for the CLI's usual error line and envelope.
 */
export async function callService<C extends ChannelName>(channel: C, request: ChannelRequest<C>): Promise<ChannelResponse<C>> {
  // Short-lived: nothing to watch, and the CLI decides when to reconcile (before it changes anything).
  const service = createRuntimeService({ reconcile: false })
  try {
    const result = await service.call(channel, request)
    if (!result.ok) throw new BpvmError(result.error.code, result.error.message, result.error.details)
    return result.value
  } finally {
    await service.close()
  }
}
