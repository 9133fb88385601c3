import { reactive } from 'vue'
import { get } from '@/lib/api'

// Region names (GB/T 2260) for codes the live states and aggregates carry.
// Looked up once per code and kept for the session; a code that cannot be
// looked up is shown as it is.
const names = reactive<Record<string, string>>({})
const asked = new Set<string>()

export function regionName(code: string): string {
  if (!code) return ''
  if (!asked.has(code)) {
    asked.add(code)
    get<{ name: string }>(`/regions/${encodeURIComponent(code)}`)
      .then((r) => { names[code] = r.name })
      .catch(() => {})
  }
  return names[code] ?? code
}
