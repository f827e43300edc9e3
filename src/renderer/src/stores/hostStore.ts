import { defineStore } from 'pinia'
import { ref } from 'vue'
import { API_ERROR_CODES } from '../../../shared/api/channel'
import type { DoctorReport } from '../../../shared/api/host'
import type { ErrorInfo } from '../../../shared/result'
import { connectApi } from '../api/connectApi'
import { ERROR_CODES } from '../../../shared/errorCodes'

/** What this host has of the external programs the runtime needs, as last reported by the runtime. */
export const useHostStore = defineStore('host', () => {
  const api = connectApi()
  // Whether the runtime answered the last call; assumed until a call says it cannot be reached.
  const connected = ref(true)
  const report = ref<DoctorReport | null>(null)
  const error = ref<ErrorInfo | null>(null)
  const loading = ref(false)

  async function refresh(): Promise<void> {
    if (loading.value) return
    loading.value = true
    try {
      const result = await api.host.doctor()
      if (result.ok) {
        report.value = result.value
        error.value = null
        connected.value = true
      } else {
        connected.value = result.error.code !== API_ERROR_CODES.backendUnavailable
        error.value = result.error
      }
    } catch (cause) {
      // The preload's invoke() rejects when main has no handler for the channel.
      error.value = { code: ERROR_CODES.IPC_FAILED, message: cause instanceof Error ? cause.message : String(cause) }
    } finally {
      loading.value = false
    }
  }

  // The runtime (or, in a browser, the connection to `bpvm serve`) is back: ask again.
  api.events.on('backend:status', (status) => {
    if (status.state === 'ready' && !connected.value) void refresh()
  })

  return { connected, report, error, loading, refresh }
})
