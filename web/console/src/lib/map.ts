import { AttributionControl, Map as MlMap, NavigationControl, ScaleControl, setWorkerUrl, type IControl, type StyleSpecification } from 'maplibre-gl'
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url'
import 'maplibre-gl/dist/maplibre-gl.css'

// The worker is bundled as a file of our own: nothing is fetched from
// outside the platform.
setWorkerUrl(workerUrl)

/**
 * A plain background style, the fallback when the platform's basemap style
 * cannot be loaded: the map then still shows the platform's own GeoJSON
 * (route corridors, tracks and vehicles).
 */
export function plainStyle(): StyleSpecification {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e8edf3' } }],
  }
}

/**
 * The basemap: vector tiles the platform cuts from OpenStreetMap, with a
 * light and a dark style (internal/basemap, docs/basemap.md). Every URL of
 * the styles is on this server, so the map works on an intranet with no
 * internet at all. Chinese labels are drawn with the browser's own fonts
 * (localIdeographFontFamily); Latin ones with glyphs the server renders.
 */
export type BasemapTheme = 'light' | 'dark'
const themeKey = 'jt.basemap'
export const basemapPrefix = '/api/v1/basemap'

export function basemapTheme(): BasemapTheme {
  try {
    return localStorage.getItem(themeKey) === 'dark' ? 'dark' : 'light'
  } catch {
    return 'light'
  }
}

export function styleUrl(theme: BasemapTheme): string {
  return `${basemapPrefix}/styles/${theme}.json`
}

const cjkFonts = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"

// --- GCJ-02 display -------------------------------------------------------
// An external tile source in GCJ-02 (configured on the server, announced in
// the style's metadata "jiaotong:datum") is drawn as it is, and the
// console's own WGS-84 data is shifted to GCJ-02 on its way to the map:
// GeoJSON given to addSource/setData, camera targets (jumpTo, easeTo, flyTo,
// panTo, setCenter, fitBounds), project/unproject (markers, mouse events)
// and getCenter. Views keep working in WGS-84 throughout. The
// transform is the standard one, the same as internal/basemap/gcj02.go.

function outOfChina(lon: number, lat: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function gcjDLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3
  return r
}

function gcjDLon(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3
  return r
}

/** WGS-84 → GCJ-02. */
export function toGcj02(lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat]
  const a = 6378245.0
  const ee = 0.00669342162296594323
  const rad = (lat / 180) * Math.PI
  const magic = 1 - ee * Math.sin(rad) * Math.sin(rad)
  const sq = Math.sqrt(magic)
  const dLat = (gcjDLat(lon - 105, lat - 35) * 180) / (((a * (1 - ee)) / (magic * sq)) * Math.PI)
  const dLon = (gcjDLon(lon - 105, lat - 35) * 180) / ((a / sq) * Math.cos(rad) * Math.PI)
  return [lon + dLon, lat + dLat]
}

/** GCJ-02 → WGS-84, by iterating the forward transform. */
export function toWgs84(lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat]
  let [wl, wa] = [lon, lat]
  for (let i = 0; i < 30; i++) {
    const [gl, ga] = toGcj02(wl, wa)
    const [dl, da] = [gl - lon, ga - lat]
    wl -= dl
    wa -= da
    if (Math.abs(dl) < 1e-10 && Math.abs(da) < 1e-10) break
  }
  return [wl, wa]
}

type Pos = number[]
function shiftCoords(c: unknown): unknown {
  if (!Array.isArray(c)) return c
  if (typeof c[0] === 'number') {
    const [lon, lat] = toGcj02(c[0] as number, c[1] as number)
    return [lon, lat, ...(c as Pos).slice(2)]
  }
  return c.map(shiftCoords)
}

/** Returns a copy of a GeoJSON object in GCJ-02. */
export function geojsonToGcj02<T>(g: T): T {
  const o = g as { type?: string; features?: unknown[]; geometry?: unknown; geometries?: unknown[]; coordinates?: unknown }
  if (!o || typeof o !== 'object') return g
  switch (o.type) {
    case 'FeatureCollection':
      return { ...o, features: (o.features ?? []).map(geojsonToGcj02) } as T
    case 'Feature':
      return { ...o, geometry: geojsonToGcj02(o.geometry) } as T
    case 'GeometryCollection':
      return { ...o, geometries: (o.geometries ?? []).map(geojsonToGcj02) } as T
    default:
      return o.coordinates ? ({ ...o, coordinates: shiftCoords(o.coordinates) } as T) : g
  }
}

type LngLatLike = [number, number] | { lng: number; lat: number } | { lon: number; lat: number }
function lngLatOf(v: LngLatLike): [number, number] {
  if (Array.isArray(v)) return [v[0], v[1]]
  return ['lng' in v ? v.lng : v.lon, v.lat]
}

/** The datum the map draws in, from the current style's metadata. */
function mapDatum(map: MlMap): string {
  try {
    const meta = map.getStyle()?.metadata as Record<string, unknown> | undefined
    return meta?.['jiaotong:datum'] === 'gcj02' ? 'gcj02' : 'wgs84'
  } catch {
    return 'wgs84'
  }
}

/**
 * Shifts what the views hand the map to GCJ-02 when the style says it is
 * drawn in GCJ-02, and mouse positions back: the views never know.
 */
function installDatumShift(map: MlMap) {
  const gcj = () => mapDatum(map) === 'gcj02'
  // The patched methods are MapLibre's own, whose overloads do not survive a rebind.
  type Any = any
  const m = map as Any
  const patchSource = (id: string) => {
    const src = m.getSource(id)
    if (!src || src.type !== 'geojson' || src.__jtShift) return
    const setData = src.setData.bind(src)
    src.setData = (data: unknown, ...rest: unknown[]) => setData(gcj() ? geojsonToGcj02(data) : data, ...rest)
    src.__jtShift = true
  }
  const addSource = m.addSource.bind(map)
  m.addSource = (id: string, spec: Any) => {
    if (gcj() && spec?.type === 'geojson' && spec.data && typeof spec.data === 'object') spec = { ...spec, data: geojsonToGcj02(spec.data) }
    const r = addSource(id, spec)
    patchSource(id)
    return r
  }
  // Sources carried over by a theme switch are new objects: patch them too.
  map.on('styledata', () => {
    for (const id of Object.keys(map.getStyle()?.sources ?? {})) patchSource(id)
  })
  // Positions handed out in WGS-84 (unproject, getCenter) are marked, so
  // that an "around" point MapLibre's own handlers pass back is shifted only
  // when it came from them; the handlers also pass display positions.
  const wgsMark = new WeakSet<object>()
  const toDisplay = (v: LngLatLike) => toGcj02(...lngLatOf(v))
  for (const name of ['jumpTo', 'easeTo', 'flyTo']) {
    const orig = m[name].bind(map)
    m[name] = (opts: Any, ...rest: unknown[]) => {
      if (gcj() && opts) {
        opts = { ...opts }
        // Views pass centres in WGS-84; MapLibre's handlers pass none.
        if (opts.center) opts.center = toDisplay(opts.center)
        if (opts.around && typeof opts.around === 'object' && wgsMark.has(opts.around)) opts.around = toDisplay(opts.around)
      }
      return orig(opts, ...rest)
    }
  }
  // These delegate to the camera directly, not through the methods above.
  for (const name of ['panTo', 'setCenter']) {
    const orig = m[name].bind(map)
    m[name] = (ll: LngLatLike, ...rest: unknown[]) => orig(gcj() ? toDisplay(ll) : ll, ...rest)
  }
  const fitBounds = m.fitBounds.bind(map)
  m.fitBounds = (b: Any, ...rest: unknown[]) => {
    // Views pass [[w, s], [e, n]] (or [w, s, e, n]) in WGS-84.
    if (gcj() && Array.isArray(b) && b.length === 2) b = [toDisplay(b[0] as LngLatLike), toDisplay(b[1] as LngLatLike)]
    else if (gcj() && Array.isArray(b) && b.length === 4) b = [...toDisplay([b[0], b[1]]), ...toDisplay([b[2], b[3]])]
    return fitBounds(b, ...rest)
  }
  const project = m.project.bind(map)
  m.project = (ll: LngLatLike) => project(gcj() ? toDisplay(ll) : ll)
  const toWgs = (ll: Any) => {
    if (!gcj()) return ll
    ;[ll.lng, ll.lat] = toWgs84(ll.lng, ll.lat)
    wgsMark.add(ll)
    return ll
  }
  const unproject = m.unproject.bind(map)
  m.unproject = (p: Any) => toWgs(unproject(p))
  const getCenter = m.getCenter.bind(map)
  m.getCenter = () => toWgs(getCenter())
}

/**
 * Zoom button clicks add up: MapLibre steps from the zoom of the moment, so
 * a click during the previous click's animation would be mostly lost (and
 * with a basemap to draw, animations take longer on a slow machine).
 */
function accumulateZoomClicks(map: MlMap) {
  let target: number | null = null
  map.on('zoomend', () => { target = null })
  const step = (d: number) => (options?: Parameters<MlMap['zoomTo']>[1], eventData?: unknown) => {
    const next = Math.min(map.getMaxZoom(), Math.max(map.getMinZoom(), (target ?? map.getZoom()) + d))
    map.zoomTo(next, options, eventData)
    // zoomTo ends the running animation (firing zoomend) before it starts its own.
    target = map.isZooming() ? next : null
    return map
  }
  map.zoomIn = step(1)
  map.zoomOut = step(-1)
}

// --- Theme switch ----------------------------------------------------------

// The layers and sources of the basemap style now shown, so that a theme
// switch replaces them and keeps everything the views added (vehicles
// stay on top).
const basemapIds = new WeakMap<MlMap, { layers: Set<string>; sources: Set<string> }>()

function keepOverlays(map: MlMap) {
  return (prev: StyleSpecification | undefined, next: StyleSpecification): StyleSpecification => {
    const own = basemapIds.get(map)
    basemapIds.set(map, { layers: new Set(next.layers.map((l) => l.id)), sources: new Set(Object.keys(next.sources)) })
    if (!prev || !own) return next
    const sources = { ...next.sources }
    for (const [id, src] of Object.entries(prev.sources)) if (!own.sources.has(id)) sources[id] = src
    const overlays = prev.layers.filter((l) => !own.layers.has(l.id))
    return { ...next, sources, layers: [...next.layers, ...overlays] }
  }
}

/** Switches the basemap between the light and dark styles, remembered. */
export function setBasemapTheme(map: MlMap, theme: BasemapTheme) {
  try {
    localStorage.setItem(themeKey, theme)
  } catch {
    /* private mode: not remembered */
  }
  map.setStyle(styleUrl(theme), { transformStyle: keepOverlays(map) })
  map.getContainer().dataset.basemap = theme
}

/** A map button that toggles the light and dark basemap. */
class ThemeControl implements IControl {
  private el?: HTMLElement
  onAdd(map: MlMap): HTMLElement {
    const el = document.createElement('div')
    el.className = 'maplibregl-ctrl maplibregl-ctrl-group'
    const btn = document.createElement('button')
    btn.type = 'button'
    btn.className = 'jt-basemap-theme'
    const zh = (document.documentElement.lang || 'zh-CN').startsWith('zh')
    const label = () => {
      const dark = basemapTheme() === 'dark'
      btn.textContent = dark ? '☀' : '☾'
      btn.title = zh ? (dark ? '浅色底图' : '深色底图') : dark ? 'Light basemap' : 'Dark basemap'
      btn.setAttribute('aria-label', btn.title)
    }
    label()
    btn.onclick = () => {
      setBasemapTheme(map, basemapTheme() === 'dark' ? 'light' : 'dark')
      label()
    }
    el.appendChild(btn)
    this.el = el
    return el
  }
  onRemove() {
    this.el?.remove()
  }
}

/** Chengdu, where the demo fleet drives; a view fits the data once it is there. */
export const defaultCenter: [number, number] = [104.066, 30.657]

export function webglAvailable(): boolean {
  try {
    const c = document.createElement('canvas')
    return !!(c.getContext('webgl2') || c.getContext('webgl'))
  } catch {
    return false
  }
}

export function createMap(container: HTMLElement, zoom = 11, opts: { theme?: BasemapTheme } = {}): MlMap {
  const theme = opts.theme ?? basemapTheme()
  const map = new MlMap({
    container,
    style: styleUrl(theme),
    center: defaultCenter,
    zoom,
    attributionControl: false,
    localIdeographFontFamily: cjkFonts,
    // Style URLs are relative to the page; tiles are fetched by workers,
    // so make them absolute on the way.
    transformRequest: (url) => ({ url: new URL(url, window.location.href).href }),
    canvasContextAttributes: { preserveDrawingBuffer: true },
  })
  container.dataset.basemap = theme
  installDatumShift(map)
  accumulateZoomClicks(map)
  map.addControl(new NavigationControl({ showCompass: true }), 'top-right')
  map.addControl(new ThemeControl(), 'top-right')
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-left')
  // The OpenStreetMap credit the ODbL asks for (or the external provider's).
  map.addControl(new AttributionControl({ compact: true }), 'bottom-right')
  // For tests and the browser console: the map behind the element, and the
  // datum it draws in.
  ;(container as HTMLElement & { jtMap?: MlMap }).jtMap = map
  // Without its style the map would never load and show nothing: fall back
  // to the plain background so the platform's own data still shows.
  let styled = false
  map.on('style.load', () => {
    styled = true
    container.dataset.datum = mapDatum(map)
    // The first style holds only basemap layers: remember them.
    if (!basemapIds.has(map)) {
      const st = map.getStyle()
      basemapIds.set(map, { layers: new Set(st.layers.map((l) => l.id)), sources: new Set(Object.keys(st.sources)) })
    }
  })
  map.on('error', (e) => {
    console.warn('map:', e.error?.message ?? e)
    if (!styled) {
      styled = true
      map.setStyle(plainStyle())
    }
  })
  map.on('load', () => addArrowImage(map))
  // What the basemap drew, for the people who test it (data-basemap-features).
  map.on('idle', () => {
    const ids = [...(basemapIds.get(map)?.layers ?? [])].filter((id) => {
      const t = map.getLayer(id)?.type
      return t === 'line' || t === 'fill' || t === 'symbol'
    })
    container.dataset.basemapFeatures = String(ids.length ? map.queryRenderedFeatures({ layers: ids }).length : 0)
  })
  // A theme switch drops images: put the arrow back when a layer asks.
  map.on('styleimagemissing', (e) => { if (e.id === 'arrow') addArrowImage(map) })
  return map
}


/**
 * A heading arrow drawn on a canvas and added as an SDF image, so one image
 * takes any colour per vehicle and rotates with icon-rotate.
 */
function addArrowImage(map: MlMap) {
  const size = 32
  const c = document.createElement('canvas')
  c.width = size
  c.height = size
  const g = c.getContext('2d')
  if (!g) return
  g.fillStyle = '#000'
  g.beginPath()
  g.moveTo(size / 2, 2)
  g.lineTo(size - 6, size - 5)
  g.lineTo(size / 2, size - 11)
  g.lineTo(6, size - 5)
  g.closePath()
  g.fill()
  const data = g.getImageData(0, 0, size, size)
  if (!map.hasImage('arrow')) map.addImage('arrow', { width: size, height: size, data: new Uint8Array(data.data.buffer) }, { sdf: true, pixelRatio: 2 })
}

/** Adds the route corridors (班线) as a line layer below the vehicles. */
export function addCorridors(map: MlMap, routes: { id: number; code?: string; name?: string; corridor?: { type: string; coordinates: number[][] } | null }[]) {
  const features = routes
    .filter((r) => r.corridor && r.corridor.coordinates && r.corridor.coordinates.length >= 2)
    .map((r) => ({ type: 'Feature' as const, properties: { id: r.id, name: r.name ?? '', code: r.code ?? '' }, geometry: { type: 'LineString' as const, coordinates: r.corridor!.coordinates } }))
  const fc = { type: 'FeatureCollection' as const, features }
  const src = map.getSource('corridors') as { setData?: (d: unknown) => void } | undefined
  if (src?.setData) {
    src.setData(fc)
    return
  }
  map.addSource('corridors', { type: 'geojson', data: fc })
  map.addLayer({ id: 'corridors', type: 'line', source: 'corridors', paint: { 'line-color': '#7d93b2', 'line-width': 2, 'line-opacity': 0.7, 'line-dasharray': [2, 1] } })
}

export type { MlMap }
