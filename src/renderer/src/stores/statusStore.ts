import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { BackendStatus } from '../../../shared/api/events'
import { listen } from './apiAccess'

/** The runtime's state and the status messages read out to screen readers. */
export const useStatusStore = defineStore('status', () => {
  /** Null until the runtime says otherwise: calls are tried, and fail with their own errors. */
  const backend = ref<BackendStatus | null>(null)
  /** The latest status message, for the app's aria-live region. */
  const announcement = ref('')
  let announcements = 0

  /** Says `message` politely; the same message twice is said twice. */
  function announce(message: string): void {
    announcements++
    // A zero-width space toggled on repeats makes the live region see a change.
    announcement.value = announcements % 2 === 0 ? message : `${message}\u200b`
  }

  listen('backend:status', (status) => {
    const was = backend.value?.state
    backend.value = status
    if (was !== undefined && was !== status.state) {
      announce(status.state === 'ready' ? 'The runtime is ready again.' : `The runtime is ${status.state}.`)
    }
  })

  return { backend, announcement, announce }
})
