import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { get, post, request, setCsrfToken } from '@/lib/api'
import type { Me } from '@/lib/types'

// The signed-in user as /auth/me tells it: roles, data scope and the
// permissions the menus and buttons are shown by.
export const useAuth = defineStore('auth', () => {
  const me = ref<Me | null>(null)
  const checked = ref(false)

  function accept(m: Me) {
    me.value = m
    if (m.csrf_token) setCsrfToken(m.csrf_token)
  }

  /** Loads the current session, if any; never throws. */
  async function load(): Promise<boolean> {
    try {
      accept(await request<Me>('GET', '/auth/me', { quiet401: true }))
    } catch {
      me.value = null
    }
    checked.value = true
    return me.value !== null
  }

  async function login(username: string, password: string) {
    accept(await request<Me>('POST', '/auth/login', { body: { username, password }, quiet401: true }))
  }

  async function logout() {
    try {
      await post('/auth/logout')
    } catch {
      // The session may already be gone; the console forgets it either way.
    }
    forget()
  }

  function forget() {
    me.value = null
    setCsrfToken('')
  }

  function can(perm: string): boolean {
    return !!me.value?.permissions.includes(perm)
  }

  const scopeLabel = computed(() => {
    const s = me.value?.scope
    if (!s) return ''
    return s.operator_name || s.region_name || s.region || ''
  })

  return { me, checked, load, login, logout, forget, can, scopeLabel, refresh: () => get<Me>('/auth/me').then(accept) }
})
