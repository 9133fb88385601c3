import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { router } from './router'
import { i18n, savedLang } from './i18n'

document.documentElement.lang = savedLang()
createApp(App).use(createPinia()).use(i18n).use(router).mount('#root')
