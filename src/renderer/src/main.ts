import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { connectApi } from './api/connectApi'
import { createAppRouter } from './router'

// Before anything renders: a page served by `bpvm serve` takes its token out of the address bar.
connectApi()
createApp(App).use(createPinia()).use(createAppRouter()).mount('#app')
