// Dangerous-goods e-waybills (危险货物道路运输电子运单): the shapes the
// waybill API answers (internal/waybill, docs/waybill.md) and the helpers
// the waybill pages share.
import { get, request, ApiError, type FieldProblem } from '@/lib/api'

export type WaybillState = 'draft' | 'issued' | 'loading' | 'in_transit' | 'delivered' | 'cancelled'
export const waybillStates: WaybillState[] = ['draft', 'issued', 'loading', 'in_transit', 'delivered', 'cancelled']

export interface Party { name: string; contact?: string; phone?: string }
export interface Contact { name: string; phone: string; role?: string }
export interface GoodsLine {
  un_number: string
  name: string
  class: string
  packing_group?: string
  quantity: number
  unit: 'kg' | 't' | 'L' | 'm3'
  density_kg_per_l?: number
  packaging?: string
}
export interface Place {
  name: string
  address?: string
  region?: string
  lon: number
  lat: number
  radius_m?: number
  window_start?: string
  window_end?: string
  contact?: string
  phone?: string
}
export interface Route { polyline?: [number, number][]; corridor_width_m?: number; distance_km?: number; description?: string }

/** What a create or an update of a draft sends. */
export interface WaybillFields {
  operator_id: number
  shipper: Party
  consignee: Party
  loader?: Party
  vehicle_id: number
  trailer_id?: number
  driver_id?: number
  escort_id?: number
  goods: GoodsLine[]
  loading: Place
  unloading: Place
  departure_at: string
  arrival_at: string
  route?: Route
  emergency_contacts?: Contact[]
  urban_distribution?: boolean
  waste_manifest_no?: string
  dispatcher?: string
  remarks?: string
}

export interface Finding { rule: string; field: string; message: string }

export interface Waybill extends WaybillFields {
  id: number
  version: number
  number: string
  state: WaybillState
  state_label: string
  region: string
  operator_name: string
  plate: string
  trailer_plate?: string
  driver_name?: string
  escort_name?: string
  warnings?: Finding[]
  cancel_reason?: string
  token?: string
  issued_at?: string
  state_changed_at: string
  created_at: string
  updated_at: string
}

export interface Move { from: WaybillState; to: WaybillState; from_label: string; to_label: string; issue?: boolean }
export interface Code { code: string; label: string }
export interface Codes { states: Code[]; classes: Code[]; units: Code[]; packing_groups: Code[]; rules: Code[] }
export interface UNEntry { number: string; name: string; class: string; class_code?: string; division: string; class_label: string; tunnel?: string }

export interface WaybillStats {
  from: string
  to: string
  total: number
  by_day: { date: string; count: number }[]
  by_class: { class: string; label: string; count: number }[]
  by_operator: { operator_id: number; name: string; region: string; count: number }[]
  by_state: { state: WaybillState; label: string; count: number }[]
}

export interface CoverageReport {
  from: string
  to: string
  total: { moved_vehicles: number; loaded_vehicles: number; covered_vehicles: number; uncovered_vehicles: number; coverage?: number }
}

export interface HistoryEntry { id: number; at: string; username: string; action: string; summary?: string; before?: Partial<Waybill> | null; after?: Partial<Waybill> | null }

/** The colours of the state tags (Element Plus tag types). */
export const stateTag: Record<WaybillState, 'info' | 'primary' | 'warning' | 'success' | 'danger'> = {
  draft: 'info',
  issued: 'primary',
  loading: 'warning',
  in_transit: 'warning',
  delivered: 'success',
  cancelled: 'danger',
}

/** The monitor's alarm rules that the waybill cross-checks raise. */
export const waybillAlarmRules = ['waybill_missing', 'waybill_route_deviation', 'waybill_forbidden_zone', 'waybill_time_window', 'waybill_sensitive_stop']

let codesCache: Promise<Codes> | null = null
let movesCache: Promise<Move[]> | null = null

/** The code lists (classes, units …), fetched once per page load. */
export function waybillCodes(): Promise<Codes> {
  if (!codesCache) codesCache = get<Codes>('/waybills/codes').catch((e) => { codesCache = null; throw e })
  return codesCache
}

/** The allowed state changes, fetched once per page load. */
export function waybillMoves(): Promise<Move[]> {
  if (!movesCache) movesCache = get<Move[]>('/waybills/moves').catch((e) => { movesCache = null; throw e })
  return movesCache
}

export const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` })

export function saveWaybill(id: number, version: number, body: WaybillFields): Promise<Waybill> {
  return id
    ? request<Waybill>('PUT', `/waybills/${id}`, { body, headers: ifMatch(version) })
    : request<Waybill>('POST', '/waybills', { body })
}

export function issueWaybill(w: { id: number; version: number }): Promise<Waybill> {
  return request<Waybill>('POST', `/waybills/${w.id}/issue`, { body: {}, headers: ifMatch(w.version) })
}

export function moveWaybill(w: { id: number; version: number }, state: WaybillState, note = ''): Promise<Waybill> {
  if (state === 'cancelled') return request<Waybill>('POST', `/waybills/${w.id}/cancel`, { body: { reason: note }, headers: ifMatch(w.version) })
  return request<Waybill>('POST', `/waybills/${w.id}/transition`, { body: { state, note: note || undefined }, headers: ifMatch(w.version) })
}

/**
 * A problem of a waybill write or issue, by form field: "waybill.goods[0].class"
 * and "body.goods[0].class" both become "goods[0].class". The issue checks
 * name their rule in value and start the message with "[rule]".
 */
export interface RuleProblem { field: string; rule: string; message: string }

export function ruleProblems(e: unknown): RuleProblem[] {
  if (!(e instanceof ApiError)) return []
  return e.errors.map((p: FieldProblem) => {
    const field = (p.location || '').replace(/^(body|waybill)\./, '')
    const m = /^\[([a-z_0-9]+)\]\s*/.exec(p.message || '')
    const rule = m ? m[1] : typeof p.value === 'string' && /^[a-z_]+$/.test(p.value) && p.location?.startsWith('waybill.') ? p.value : ''
    return { field, rule, message: m ? p.message.slice(m[0].length) : p.message }
  })
}

/** Whether a problem concerns the form field key (itself or one of its parts). */
export function fieldHit(problems: RuleProblem[], key: string): RuleProblem | undefined {
  return problems.find((p) => p.field === key || p.field.startsWith(key + '.') || p.field.startsWith(key + '['))
}

/** The goods of a waybill in one line: "UN1203 汽油 3类 20t". */
export function goodsSummary(goods?: GoodsLine[]): string {
  return (goods ?? []).map((g) => `UN${g.un_number} ${g.name} ${g.class}类 ${g.quantity}${g.unit}`).join('；')
}

/** A polyline's length in kilometres (haversine), for a route drawn by hand. */
export function polylineKm(pts: [number, number][]): number {
  let m = 0
  const rad = Math.PI / 180
  for (let i = 1; i < pts.length; i++) {
    const [lo1, la1] = pts[i - 1]
    const [lo2, la2] = pts[i]
    const a = Math.sin(((la2 - la1) * rad) / 2) ** 2 + Math.cos(la1 * rad) * Math.cos(la2 * rad) * Math.sin(((lo2 - lo1) * rad) / 2) ** 2
    m += 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)))
  }
  return Math.round(m / 100) / 10
}

/**
 * A MapLibre line-width (or circle-radius) expression that draws a width in
 * metres at latitude lat at every zoom: the corridor of a planned route and
 * the radius of a place keep their true size as the map zooms.
 */
export function metresExpr(metres: number, lat: number): unknown[] {
  const atZoom0 = metres / ((40075016.686 * Math.cos((lat * Math.PI) / 180)) / 512)
  return ['interpolate', ['exponential', 2], ['zoom'], 0, atZoom0, 22, atZoom0 * 2 ** 22]
}

/**
 * A polyline simplified to within tol metres (Douglas–Peucker): the corridor
 * is drawn from it, since a line hundreds of pixels wide over a road
 * geometry's many short zigzags draws fans at every joint.
 */
export function simplify(pts: [number, number][], tol: number): [number, number][] {
  if (pts.length <= 2) return pts
  const lat0 = (pts[0][1] * Math.PI) / 180
  const kx = 111320 * Math.cos(lat0)
  const ky = 110540
  const keep = new Uint8Array(pts.length)
  keep[0] = keep[pts.length - 1] = 1
  const stack: [number, number][] = [[0, pts.length - 1]]
  while (stack.length) {
    const [a, b] = stack.pop()!
    const [ax, ay] = [pts[a][0] * kx, pts[a][1] * ky]
    const [bx, by] = [pts[b][0] * kx, pts[b][1] * ky]
    const dx = bx - ax
    const dy = by - ay
    const len2 = dx * dx + dy * dy
    let best = -1
    let far = 0
    for (let i = a + 1; i < b; i++) {
      const [px, py] = [pts[i][0] * kx, pts[i][1] * ky]
      const u = len2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0
      const d = Math.hypot(px - (ax + u * dx), py - (ay + u * dy))
      if (d > far) { far = d; best = i }
    }
    if (best >= 0 && far > tol) {
      keep[best] = 1
      stack.push([a, best], [best, b])
    }
  }
  return pts.filter((_, i) => keep[i])
}

/** The bounds [[w, s], [e, n]] of some points, or null when there are none. */
export function boundsOf(pts: [number, number][]): [[number, number], [number, number]] | null {
  const ok = pts.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (x !== 0 || y !== 0))
  if (!ok.length) return null
  let [w, s, e, n] = [180, 90, -180, -90]
  for (const [x, y] of ok) { w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y) }
  return [[w, s], [e, n]]
}

/** An empty draft: one goods line, departure in an hour, arrival in five. */
export function emptyFields(operatorId = 0): WaybillFields {
  const dep = new Date(Date.now() + 3600e3)
  dep.setMinutes(0, 0, 0)
  const arr = new Date(dep.getTime() + 4 * 3600e3)
  return {
    operator_id: operatorId,
    shipper: { name: '', contact: '', phone: '' },
    consignee: { name: '', contact: '', phone: '' },
    loader: { name: '', contact: '', phone: '' },
    vehicle_id: 0,
    trailer_id: undefined,
    driver_id: undefined,
    escort_id: undefined,
    goods: [{ un_number: '', name: '', class: '', packing_group: '', quantity: 0, unit: 't', packaging: '' }],
    loading: { name: '', address: '', lon: 0, lat: 0, radius_m: 500, window_start: new Date(dep.getTime() - 3600e3).toISOString(), window_end: dep.toISOString() },
    unloading: { name: '', address: '', lon: 0, lat: 0, radius_m: 500, window_start: new Date(arr.getTime() - 2 * 3600e3).toISOString(), window_end: arr.toISOString() },
    departure_at: dep.toISOString(),
    arrival_at: arr.toISOString(),
    route: { polyline: [], corridor_width_m: 1000, distance_km: 0, description: '' },
    emergency_contacts: [{ name: '', phone: '', role: '' }],
    urban_distribution: false,
    waste_manifest_no: '',
    dispatcher: '',
    remarks: '',
  }
}

/** The fields of a waybill, for editing a copy of a draft. */
export function fieldsOf(w: Waybill): WaybillFields {
  const e = emptyFields(w.operator_id)
  return {
    ...e,
    operator_id: w.operator_id,
    shipper: { ...e.shipper, ...w.shipper },
    consignee: { ...e.consignee, ...w.consignee },
    loader: { ...e.loader!, ...(w.loader ?? {}) },
    vehicle_id: w.vehicle_id,
    trailer_id: w.trailer_id || undefined,
    driver_id: w.driver_id || undefined,
    escort_id: w.escort_id || undefined,
    goods: (w.goods ?? []).map((g) => ({ packing_group: '', packaging: '', ...g })),
    loading: { ...w.loading },
    unloading: { ...w.unloading },
    departure_at: w.departure_at,
    arrival_at: w.arrival_at,
    route: { polyline: [], corridor_width_m: 1000, distance_km: 0, description: '', ...(w.route ?? {}) },
    emergency_contacts: w.emergency_contacts?.length ? w.emergency_contacts.map((c) => ({ ...c })) : e.emergency_contacts,
    urban_distribution: !!w.urban_distribution,
    waste_manifest_no: w.waste_manifest_no ?? '',
    dispatcher: w.dispatcher ?? '',
    remarks: w.remarks ?? '',
  }
}

/** The body sent to the API: empty optional parts left out. */
export function bodyOfFields(f: WaybillFields): WaybillFields {
  const party = (p?: Party) => (p && p.name ? { name: p.name, contact: p.contact || undefined, phone: p.phone || undefined } : undefined)
  const place = (p: Place): Place => ({ ...p, address: p.address || undefined, region: p.region || undefined, window_start: p.window_start || undefined, window_end: p.window_end || undefined, contact: p.contact || undefined, phone: p.phone || undefined })
  const route = f.route && (f.route.polyline?.length || f.route.description) ? { ...f.route, description: f.route.description || undefined } : undefined
  return {
    operator_id: f.operator_id,
    shipper: party(f.shipper) ?? { name: '' },
    consignee: party(f.consignee) ?? { name: '' },
    loader: party(f.loader),
    vehicle_id: f.vehicle_id,
    trailer_id: f.trailer_id || undefined,
    driver_id: f.driver_id || undefined,
    escort_id: f.escort_id || undefined,
    goods: f.goods.map((g) => ({ ...g, packing_group: g.packing_group || undefined, packaging: g.packaging || undefined, density_kg_per_l: g.density_kg_per_l || undefined })),
    loading: place(f.loading),
    unloading: place(f.unloading),
    departure_at: f.departure_at,
    arrival_at: f.arrival_at,
    route,
    emergency_contacts: (f.emergency_contacts ?? []).filter((c) => c.name || c.phone).map((c) => ({ ...c, role: c.role || undefined })),
    urban_distribution: f.urban_distribution || undefined,
    waste_manifest_no: f.waste_manifest_no || undefined,
    dispatcher: f.dispatcher || undefined,
    remarks: f.remarks || undefined,
  }
}
