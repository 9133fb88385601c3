// ECharts with only the parts the console draws: lines, bars and pies on a
// canvas. Imported by the pages with charts, so the others never load it.
import { use, init, type ECharts } from 'echarts/core'
import { LineChart, BarChart, PieChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent, TitleComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

use([LineChart, BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, TitleComponent, CanvasRenderer])

export { init, type ECharts }

/** A rate 0…1 as a percentage with one decimal, or a dash when unknown. */
export function pct(v?: number | null): string {
  return v === undefined || v === null ? '—' : `${(v * 100).toFixed(1)}%`
}

/** Today's date (China time is the console's local time) as YYYY-MM-DD, shifted by days. */
export function day(offset = 0): string {
  const d = new Date(Date.now() + offset * 86400000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}
