// Display helpers shared by the pages.

export function fmtTime(iso?: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

export function fmtDuration(s?: number | null): string {
  if (!s || s < 0) return '0s'
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = Math.floor(s % 60)
  if (h) return `${h}h${String(m).padStart(2, '0')}m`
  if (m) return `${m}m${String(sec).padStart(2, '0')}s`
  return `${sec}s`
}

const compass = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW']
export function fmtHeading(deg?: number | null): string {
  if (deg === undefined || deg === null) return ''
  return `${deg}° ${compass[Math.round(((deg % 360) + 360) % 360 / 45) % 8]}`
}

/** Plates compare without separators and case: "川A·12345" matches "川a12345". */
export function normPlate(s: string): string {
  return s.replace(/[\s·.\-]/g, '').toUpperCase()
}

/** Local datetime for an <input type="datetime-local"> from a Date. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
}

/** A rate 0…1 as a percentage with one decimal, or a dash when unknown. */
export function pct(v?: number | null): string {
  return v === undefined || v === null ? '—' : `${(v * 100).toFixed(1)}%`
}

/**
 * A date of the platform's calendar (China Standard Time, UTC+8, no daylight
 * saving: the monitor's days and indicators are cut there) as YYYY-MM-DD:
 * today, or offset days from it. The browser's own time zone does not
 * matter: just after midnight in Beijing it is still yesterday in UTC.
 */
export function day(offset = 0): string {
  return new Date(Date.now() + 8 * 3600000 + offset * 86400000).toISOString().slice(0, 10)
}
