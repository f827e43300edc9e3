import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { NetworkInterfaceInfo } from '../../../shared/api/host'
import type { SettingsInfo } from '../../../shared/api/settings'
import type { ErrorInfo } from '../../../shared/result'
import { call } from './apiAccess'
import { placeErrors, type FieldErrors } from './fieldErrors'
import { settingsFieldOf, settingsForm, settingsPatch, validateSettingsForm, type SettingsForm } from './settingsForm'
import { useStatusStore } from './statusStore'
import { applyTheme, type ThemeSetting } from './theme'

/** The settings as saved, the form being edited, and the theme in force. */
export const useSettingsStore = defineStore('settings', () => {
  const status = useStatusStore()
  const saved = ref<SettingsInfo | null>(null)
  const form = ref<SettingsForm | null>(null)
  const interfaces = ref<NetworkInterfaceInfo[]>([])
  const loadError = ref<ErrorInfo | null>(null)
  /** Messages from the runtime, by field, from the last save. */
  const serverErrors = ref<FieldErrors>({})
  /** A save error no field owns. */
  const saveError = ref<ErrorInfo | null>(null)
  const saving = ref(false)
  const theme = ref<ThemeSetting>('system')

  watch(theme, applyTheme, { immediate: true })

  const clientErrors = computed<FieldErrors>(() => (form.value ? validateSettingsForm(form.value) : {}))
  const errors = computed<FieldErrors>(() => ({ ...serverErrors.value, ...clientErrors.value }))
  const valid = computed(() => Object.keys(clientErrors.value).length === 0)
  const dirty = computed(() => !!form.value && !!saved.value && Object.keys(settingsPatch(form.value, saved.value)).length > 0)

  function take(settings: SettingsInfo): void {
    saved.value = settings
    form.value = settingsForm(settings)
    theme.value = settings.app.theme
  }

  async function load(): Promise<void> {
    const [settings, nics] = await Promise.all([call((api) => api.settings.get()), call((api) => api.host.interfaces())])
    if (settings.ok) {
      take(settings.value)
      loadError.value = null
    } else {
      loadError.value = settings.error
    }
    // Without the list the egress select still offers the default route and the saved choice.
    if (nics.ok) interfaces.value = nics.value
  }

  /** Back to what is saved. */
  function discard(): void {
    if (saved.value) form.value = settingsForm(saved.value)
    serverErrors.value = {}
    saveError.value = null
  }

  /** Edits clear the runtime's complaint about that field. */
  function edited(field: string): void {
    delete serverErrors.value[field]
  }

  async function save(): Promise<boolean> {
    if (!form.value || !saved.value || !valid.value) return false
    const patch = settingsPatch(form.value, saved.value)
    if (Object.keys(patch).length === 0) return true
    saving.value = true
    const result = await call((api) => api.settings.update(patch))
    saving.value = false
    if (!result.ok) {
      const placed = placeErrors(result.error, settingsFieldOf)
      serverErrors.value = placed.fields
      saveError.value = placed.rest.length > 0 ? result.error : null
      status.announce('The settings were not saved.')
      return false
    }
    serverErrors.value = {}
    saveError.value = null
    take(result.value)
    status.announce('Settings saved.')
    return true
  }

  /** Applies a theme at once and saves it on its own; a refused one is taken back. */
  async function setTheme(next: ThemeSetting): Promise<void> {
    const previous = theme.value
    theme.value = next
    const result = await call((api) => api.settings.update({ app: { theme: next } }))
    if (result.ok) {
      if (saved.value) saved.value = { ...saved.value, app: { ...saved.value.app, theme: result.value.app.theme } }
      delete serverErrors.value.theme
    } else {
      theme.value = previous
      serverErrors.value = { ...serverErrors.value, theme: placeErrors(result.error, settingsFieldOf).fields.theme ?? result.error.message }
    }
  }

  return { saved, form, interfaces, loadError, serverErrors, saveError, saving, theme, clientErrors, errors, valid, dirty, load, discard, edited, save, setTheme }
})
