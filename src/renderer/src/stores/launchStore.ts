import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { ErrorInfo } from '../../../shared/result'
import { call } from './apiAccess'
import { placeErrors, type FieldErrors } from './fieldErrors'
import { buildLaunchRequest, defaultLaunchForm, HOST_ERROR_CODES, launchFieldOf, validateLaunchForm, type KeyValueRow } from './launchForm'
import { useNavStore } from './navStore'
import { useStatusStore } from './statusStore'
import { useTasksStore } from './tasksStore'

/** The Launch form (kept while the user looks elsewhere) and the launch it started. */
export const useLaunchStore = defineStore('launch', () => {
  const tasks = useTasksStore()
  const nav = useNavStore()
  const status = useStatusStore()
  const form = ref(defaultLaunchForm())
  /** Fields the user has left (or all of them after a submit attempt): their problems are shown. */
  const touched = ref<Record<string, boolean>>({})
  const submitted = ref(false)
  const serverErrors = ref<FieldErrors>({})
  /** A launch error no field owns, shown with the form. */
  const error = ref<ErrorInfo | null>(null)
  const submitting = ref(false)
  const taskId = ref<string | null>(null)
  let nextRowId = 1

  const clientErrors = computed(() => validateLaunchForm(form.value))
  const valid = computed(() => Object.keys(clientErrors.value).length === 0)
  const task = computed(() => (taskId.value ? tasks.tasks[taskId.value] : undefined))
  const launching = computed(() => submitting.value || task.value?.info.state === 'running')
  /** Whether the error means the host lacks something (the Host view explains it). */
  const hostProblem = computed(() => (error.value ? HOST_ERROR_CODES.has(error.value.code) : false))

  /** The message to show for a field: the runtime's, or ours once the field was left. */
  function fieldError(field: string): string | undefined {
    const server = serverErrors.value[field]
    if (server) return server
    return submitted.value || touched.value[field] ? clientErrors.value[field] : undefined
  }

  function touch(field: string): void {
    touched.value[field] = true
  }

  function edited(field: string): void {
    delete serverErrors.value[field]
  }

  function addRow(list: 'extraEnv' | 'extraArgs'): KeyValueRow {
    const row = { id: nextRowId++, key: '', value: '' }
    form.value[list].push(row)
    return row
  }

  function removeRow(list: 'extraEnv' | 'extraArgs', id: number): void {
    form.value[list] = form.value[list].filter((row) => row.id !== id)
    delete serverErrors.value[list]
  }

  function showError(failure: ErrorInfo): void {
    const placed = placeErrors(failure, (name) => {
      const field = launchFieldOf(name)
      return field === 'image' && form.value.image === 'custom' ? 'customImage' : field
    })
    serverErrors.value = placed.fields
    error.value = placed.rest.length > 0 || Object.keys(placed.fields).length === 0 ? failure : null
  }

  async function submit(): Promise<void> {
    submitted.value = true
    if (!valid.value || launching.value) return
    serverErrors.value = {}
    error.value = null
    submitting.value = true
    const result = await call((api) => api.instances.launch(buildLaunchRequest(form.value)))
    submitting.value = false
    if (!result.ok) {
      showError(result.error)
      status.announce(`Launch refused: ${result.error.message}`)
      return
    }
    tasks.track(result.value)
    taskId.value = result.value.id
  }

  async function cancel(): Promise<void> {
    if (taskId.value) await tasks.cancel(taskId.value)
  }

  function reset(): void {
    form.value = defaultLaunchForm()
    touched.value = {}
    submitted.value = false
    serverErrors.value = {}
    error.value = null
  }

  watch(
    () => task.value?.info.state,
    (state) => {
      const info = task.value?.info
      if (!info || state === 'running') return
      if (state === 'succeeded') {
        submitted.value = false
        // Only a user still watching the launch is taken to its logs; elsewhere, the tray and the live region say it.
        if (nav.route.view === 'launch') nav.go({ view: 'logs', instance: info.target, stream: 'guest' })
      } else if (state === 'failed' && info.error) {
        showError(info.error)
      }
    }
  )

  return { form, touched, submitted, serverErrors, error, submitting, taskId, clientErrors, valid, task, launching, hostProblem, fieldError, touch, edited, addRow, removeRow, submit, cancel, reset }
})
