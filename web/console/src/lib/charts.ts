// ECharts with only the parts the console draws: lines, bars and pies on a
// canvas. Imported by the pages with charts, so the others never load it.
import { use, init, type ECharts } from 'echarts/core'
import { LineChart, BarChart, PieChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent, TitleComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

use([LineChart, BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, TitleComponent, CanvasRenderer])

export { init, type ECharts }

// The figures' formats live with the other display helpers.
export { pct, day } from '@/lib/format'
