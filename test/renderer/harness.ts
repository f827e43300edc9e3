import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type { Component } from 'vue'
import { installFakeApi, type FakeApi } from './fakeApi'

/** A fresh Pinia (made active, so the test can use the stores too) with `api` as the runtime, at an empty URL hash. */
export function freshApp(api: FakeApi): Pinia {
  installFakeApi(api)
  window.history.replaceState(null, '', '#')
  const pinia = createPinia()
  setActivePinia(pinia)
  return pinia
}

/** Mounts into the document, so focus and window-level keyboard shortcuts behave as in the app. */
export function mountWith(component: Component, pinia: Pinia) {
  return mount(component, { global: { plugins: [pinia] }, attachTo: document.body })
}
