import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type { Component } from 'vue'
import type { Router } from 'vue-router'
import { createAppRouter } from '../../src/renderer/src/router'
import { installFakeApi, type FakeApi } from './fakeApi'

let router: Router | undefined

/** A fresh Pinia (made active, so the test can use the stores too) with `api` as the runtime, at an empty URL hash. */
export function freshApp(api: FakeApi): Pinia {
  installFakeApi(api)
  window.history.replaceState(null, '', '#')
  router?.options.history.destroy()
  router = undefined
  const pinia = createPinia()
  setActivePinia(pinia)
  return pinia
}

/** The app's router for this test, made at the first use, so it starts at the hash the test has set by then. */
export function testRouter(): Router {
  return (router ??= createAppRouter())
}

/**
 * Mounts into the document, so focus and window-level keyboard shortcuts behave as in the app,
 * with the app's router (made by `freshApp`) at the URL's hash as it is when it mounts.
 */
export function mountWith(component: Component, pinia: Pinia) {
  return mount(component, { global: { plugins: [pinia, testRouter()] }, attachTo: document.body })
}
