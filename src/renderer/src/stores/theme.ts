export type ThemeSetting = 'system' | 'light' | 'dark'

const DARK_QUERY = '(prefers-color-scheme: dark)'

function systemPrefersDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia(DARK_QUERY).matches
}

function resolveTheme(setting: ThemeSetting, prefersDark: boolean): 'light' | 'dark' {
  return setting === 'system' ? (prefersDark ? 'dark' : 'light') : setting
}

let stopFollowingSystem: (() => void) | undefined

/**
 * Sets `data-theme` on the root element (the stylesheet's colours hang off it); `system` follows
 * the desktop's light/dark preference as it changes.
 */
export function applyTheme(setting: ThemeSetting): void {
  stopFollowingSystem?.()
  stopFollowingSystem = undefined
  const root = document.documentElement
  root.dataset.theme = resolveTheme(setting, systemPrefersDark())
  root.dataset.themeSetting = setting
  if (setting === 'system' && typeof window.matchMedia === 'function') {
    const query = window.matchMedia(DARK_QUERY)
    const follow = (): void => {
      root.dataset.theme = resolveTheme('system', query.matches)
    }
    query.addEventListener('change', follow)
    stopFollowingSystem = () => query.removeEventListener('change', follow)
  }
}
