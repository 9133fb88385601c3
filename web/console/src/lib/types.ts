// Shapes of the API's answers that the console reads (see /api/v1/openapi.json).

export interface Me {
  user_id: number
  username: string
  display_name: string
  roles: { role: string; label: string }[]
  scope: { region?: string; region_name?: string; operator_id?: number; operator_name?: string }
  permissions: string[]
  via: string
  csrf_token?: string
  org_unit_name?: string
}

export interface LiveState {
  vehicle_id: number
  plate: string
  category: string
  operator_id: number
  region: string
  online: boolean
  moving: boolean
  at?: string
  received_at?: string
  lat: number
  lon: number
  speed_kmh: number
  heading: number
  road_class?: string
  road_limit_kmh?: number
  continuous_driving_s: number
  day_driving_s: number
  open_alarms: string[]
}

export interface Alarm {
  id: number
  vehicle_id: number
  plate: string
  operator_id: number
  region: string
  category: string
  rule: string
  rule_label: string
  severity: 'critical' | 'major' | 'minor' | 'info'
  message: string
  start_at: string
  last_at: string
  end_at?: string
  ongoing: boolean
  duration_s: number
  lat: number
  lon: number
  limit: number
  peak: number
  unit: string
  state: 'raised' | 'acknowledged' | 'handled' | 'closed'
  notes?: string
  action?: string
  review_notes?: string
  text_sent?: string
  acknowledged_by?: string
  handled_by?: string
  closed_by?: string
  evidence?: { at: string; lat: number; lon: number; speed_kmh: number; heading: number }[]
}

export interface TrackPoint {
  time: string
  lat: number
  lon: number
  speed_kmh: number
  heading: number
  alarm: number
  status: number
  mileage_km?: number
}

export type Row = Record<string, unknown> & { id: number; version: number }

export interface SheetReport {
  total: number
  imported: number
  failed: number
  errors: { row: number; problems: { column?: string; header?: string; reason: string }[] }[] | null
  warnings?: string[] | null
}
export type { Page } from './api'

export interface Indicators {
  day?: string
  level: string
  unit: string
  region?: string
  region_name?: string
  operator_id?: number
  registered: number
  in_network: number
  online: number
  network_rate?: number
  online_rate?: number
  track_completeness?: number
  data_qualification?: number
  drift_rate?: number
  check_response_rate?: number
  overspeed_count: number
}

export interface AlarmCount {
  key: string
  label?: string
  region?: string
  operator_id?: number
  count: number
  critical: number
  open: number
  ongoing: number
}

export interface Check {
  id: number
  request_id: number
  operator_id: number
  operator_name: string
  region: string
  question: string
  status: 'pending' | 'answered' | 'late' | 'missed'
  status_label: string
  overdue: boolean
  sent_at: string
  sent_by: string
  due_at: string
  expires_at: string
  answer?: string
  answered_at?: string
  answered_by?: string
  response_s?: number
}

export interface CheckStats {
  group: string
  operator_id?: number
  operator_name?: string
  region: string
  region_name?: string
  sent: number
  answered: number
  late: number
  missed: number
  pending: number
  due: number
  response_rate?: number
  mean_response_s?: number
}
