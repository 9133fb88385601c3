import { defineStore } from 'pinia'
import { ref, shallowRef, triggerRef } from 'vue'
import { get } from '@/lib/api'
import type { Alarm, LiveState, Page } from '@/lib/types'

export type VehicleMode = 'driving' | 'parked' | 'offline' | 'alarm'

/** The state a vehicle is drawn in: an open alarm wins, then offline, then moving. */
export function modeOf(v: LiveState): VehicleMode {
  if (v.open_alarms && v.open_alarms.length > 0) return 'alarm'
  if (!v.online) return 'offline'
  return v.moving ? 'driving' : 'parked'
}

export const modeColors: Record<VehicleMode, string> = {
  driving: '#1f9d55',
  parked: '#2f6fd6',
  offline: '#8a94a3',
  alarm: '#d93025',
}

interface PositionMsg {
  type: 'position'
  vehicle_id: number
  plate: string
  lat: number
  lon: number
  speed: number
  heading: number
  time: string
}

interface EventMsg {
  type: string
  vehicle_id: number
  plate: string
  at: string
  severity?: string
  data: unknown
}

type AlarmListener = (type: string, alarm: Alarm) => void

// The live fleet: seeded from /monitor/live-states, then kept current by the
// /api/v1/live WebSocket (positions, alarm events, vehicle states). One
// connection per tab, reconnecting with back-off; vehicles sit in a Map that
// is replaced shallowly so the map redraws in batches, not per message.
export const useLive = defineStore('live', () => {
  const vehicles = shallowRef(new Map<number, LiveState>())
  const connected = ref(false)
  const loaded = ref(false)
  const version = ref(0) // bumps when vehicles change, for throttled redraws
  const updates = ref(0) // positions received over the WebSocket
  let ws: WebSocket | null = null
  let wanted = false
  let retry = 1000
  let timer: number | undefined
  const alarmListeners = new Set<AlarmListener>()

  async function loadStates() {
    const all = new Map<number, LiveState>()
    let page = 1
    for (;;) {
      const p = await get<Page<LiveState>>(`/monitor/live-states?page=${page}&page_size=500`)
      for (const v of p.items) all.set(v.vehicle_id, { ...v, open_alarms: v.open_alarms ?? [] })
      if (p.items.length === 0 || page * p.page_size >= p.total) break
      page++
    }
    vehicles.value = all
    loaded.value = true
    version.value++
  }

  function apply(msg: PositionMsg | EventMsg) {
    if (msg.type === 'position') {
      const m = msg as PositionMsg
      const prev = vehicles.value.get(m.vehicle_id)
      const v: LiveState = prev
        ? { ...prev }
        : { vehicle_id: m.vehicle_id, plate: m.plate, category: '', operator_id: 0, region: '', online: true, moving: false, lat: 0, lon: 0, speed_kmh: 0, heading: 0, continuous_driving_s: 0, day_driving_s: 0, open_alarms: [] }
      v.lat = m.lat
      v.lon = m.lon
      v.speed_kmh = m.speed
      v.heading = m.heading
      v.at = m.time
      v.online = true
      v.moving = m.speed > 1
      vehicles.value.set(m.vehicle_id, v)
      version.value++
      updates.value++
      return
    }
    const ev = msg as EventMsg
    if (ev.type === 'vehicle.state') {
      const d = ev.data as { state: string }
      const v = vehicles.value.get(ev.vehicle_id)
      if (v) {
        const n = { ...v }
        if (d.state === 'offline') n.online = false
        if (d.state === 'online') n.online = true
        if (d.state === 'driving') { n.online = true; n.moving = true }
        if (d.state === 'parked') { n.online = true; n.moving = false }
        vehicles.value.set(ev.vehicle_id, n)
        version.value++
      }
      return
    }
    if (ev.type.startsWith('alarm.')) {
      const a = ev.data as Alarm
      const v = vehicles.value.get(ev.vehicle_id)
      if (v && a && a.rule) {
        const open = new Set(v.open_alarms)
        if (a.ongoing && a.state !== 'closed') open.add(a.rule)
        else open.delete(a.rule)
        vehicles.value.set(ev.vehicle_id, { ...v, open_alarms: [...open] })
        version.value++
      }
      for (const l of alarmListeners) l(ev.type, a)
    }
  }

  function connect() {
    wanted = true
    if (ws) return
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const sock = new WebSocket(`${proto}//${location.host}/api/v1/live`)
    ws = sock
    sock.onopen = () => {
      connected.value = true
      retry = 1000
      sock.send(JSON.stringify({ type: 'subscribe', topics: ['positions', 'alarms', 'vehicle_states'] }))
    }
    sock.onmessage = (e) => {
      try {
        apply(JSON.parse(e.data as string))
      } catch {
        // A message the console does not understand is skipped.
      }
    }
    sock.onclose = () => {
      connected.value = false
      ws = null
      if (wanted) {
        timer = window.setTimeout(connect, retry)
        retry = Math.min(retry * 2, 30000)
      }
    }
  }

  function disconnect() {
    wanted = false
    window.clearTimeout(timer)
    ws?.close()
    ws = null
    connected.value = false
    vehicles.value = new Map()
    loaded.value = false
  }

  function onAlarm(l: AlarmListener): () => void {
    alarmListeners.add(l)
    return () => alarmListeners.delete(l)
  }

  function touch() {
    triggerRef(vehicles)
  }

  return { vehicles, connected, loaded, version, updates, loadStates, connect, disconnect, onAlarm, touch }
})
