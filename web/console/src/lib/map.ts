import { Map as MlMap, NavigationControl, ScaleControl, setWorkerUrl, type StyleSpecification } from 'maplibre-gl'
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url'
import 'maplibre-gl/dist/maplibre-gl.css'

// The worker is bundled as a file of our own: nothing is fetched from
// outside the platform.
setWorkerUrl(workerUrl)

/**
 * A plain background style: no external tiles, fonts or sprites, so the map
 * works on an intranet with no internet at all. The self-hosted basemap
 * (vector tiles from the imported OpenStreetMap data) is layered on later;
 * until then the map shows the platform's own GeoJSON: route corridors,
 * tracks and vehicles.
 */
export function plainStyle(): StyleSpecification {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e8edf3' } }],
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

export function createMap(container: HTMLElement, zoom = 11): MlMap {
  const map = new MlMap({
    container,
    style: plainStyle(),
    center: defaultCenter,
    zoom,
    attributionControl: false,
    canvasContextAttributes: { preserveDrawingBuffer: true },
  })
  map.addControl(new NavigationControl({ showCompass: true }), 'top-right')
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-left')
  map.on('load', () => addArrowImage(map))
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
