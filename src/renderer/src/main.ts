import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { connectApi } from './api/connectApi'

// Before anything renders: a page served by `bpvm serve` takes its token out of the address bar.
connectApi()
createApp(App).use(createPinia()).mount('#app')
