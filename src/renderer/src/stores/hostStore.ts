import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { DoctorReport } from '../../../shared/api/host'
import type { ErrorInfo } from '../../../shared/result'

/** What this host has of the external programs the runtime needs, as last reported by main. */
export const useHostStore = defineStore('host', () => {
  // False when the page runs outside the desktop app (no preload, so no `window.bpvm`).
  const connected = ref(window.bpvm !== undefined)
  const report = ref<DoctorReport | null>(null)
  const error = ref<ErrorInfo | null>(null)
  const loading = ref(false)

  async function refresh(): Promise<void> {
    const api = window.bpvm?.host
    connected.value = api !== undefined
    if (!api || loading.value) return
    loading.value = true
    try {
      const result = await api.doctor()
      if (result.ok) {
        report.value = result.value
        error.value = null
      } else {
        error.value = result.error
      }
    } catch (cause) {
      // invoke() itself rejects when main has no handler for the channel.
      error.value = { code: 'IPC_FAILED', message: cause instanceof Error ? cause.message : String(cause) }
    } finally {
      loading.value = false
    }
  }

  return { connected, report, error, loading, refresh }
})
