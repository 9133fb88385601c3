// What the registry pages show and edit for each kind of record. The server
// validates everything (check digits, uniqueness, region codes); the form
// only offers the right input for each field and shows the server's reason
// beside the field it names.

export type FieldKind = 'text' | 'number' | 'decimal' | 'date' | 'select' | 'multi' | 'corridor' | 'driver'

export interface FieldDef {
  name: string
  kind: FieldKind
  required?: boolean
  options?: (string | number)[]
  optionGroup?: string // i18n group of the option labels
  max?: number
}

export interface ColumnDef {
  name: string
  group?: string // i18n group: the value is a code to translate
  width?: number
  expiry?: boolean // a validity date: coloured when expired or due
}

export interface EntityDef {
  fields: FieldDef[]
  columns: ColumnDef[]
  sort: string
  categories?: string[]
  // Fields the form does not edit but an update must send back unchanged
  // (an update replaces the whole record).
  keep?: string[]
}

const vehicleCategories = ['coach', 'charter', 'tourism', 'hazmat', 'heavy_truck', 'tractor', 'truck', 'taxi', 'bus']
/** Qualifications that make a practitioner a possible main driver. */
export const driverCategories = ['passenger_driver', 'freight_driver', 'hazmat_driver', 'taxi_driver', 'ride_hailing_driver']
const practitionerCategories = ['passenger_driver', 'freight_driver', 'hazmat_driver', 'hazmat_loader', 'hazmat_escort', 'taxi_driver', 'ride_hailing_driver', 'maintenance_engineer']

export type EntityName = 'vehicles' | 'operators' | 'practitioners' | 'stations' | 'routes' | 'vessels'

export const entities: Record<EntityName, EntityDef> = {
  vehicles: {
    sort: 'plate',
    categories: vehicleCategories,
    columns: [
      { name: 'plate', width: 110 },
      { name: 'category', group: 'category', width: 120 },
      { name: 'vin', width: 180 },
      { name: 'operator_id', width: 90 },
      { name: 'terminal_phone', width: 130 },
      { name: 'region', width: 90 },
      { name: 'transport_cert_valid_until', width: 150, expiry: true },
      { name: 'status', group: 'status', width: 80 },
    ],
    fields: [
      { name: 'plate', kind: 'text', required: true, max: 12 },
      { name: 'plate_color', kind: 'select', required: true, options: [1, 2, 3, 4, 5, 9, 93], optionGroup: 'plateColor' },
      { name: 'vin', kind: 'text', required: true, max: 17 },
      { name: 'category', kind: 'select', required: true, options: vehicleCategories, optionGroup: 'category' },
      { name: 'vehicle_type', kind: 'text', max: 50 },
      { name: 'operator_id', kind: 'number', required: true },
      { name: 'region', kind: 'text', required: true, max: 6 },
      { name: 'seats', kind: 'number' },
      { name: 'rated_load_kg', kind: 'number' },
      { name: 'axles', kind: 'number' },
      { name: 'transport_cert_no', kind: 'text', max: 50 },
      { name: 'transport_cert_valid_until', kind: 'date' },
      { name: 'terminal_phone', kind: 'text', max: 20 },
      { name: 'terminal_id', kind: 'text', max: 30 },
      { name: 'terminal_model', kind: 'text', max: 30 },
      { name: 'terminal_maker', kind: 'text', max: 30 },
      { name: 'status', kind: 'select', options: ['in_service', 'out_of_service', 'scrapped'], optionGroup: 'status' },
      { name: 'driver_id', kind: 'driver' },
    ],
    keep: ['hazmat_classes'],
  },
  operators: {
    sort: 'name',
    columns: [
      { name: 'name' },
      { name: 'credit_code', width: 190 },
      { name: 'region', width: 90 },
      { name: 'licence_no', width: 200 },
      { name: 'licence_valid_until', width: 130, expiry: true },
      { name: 'contact_phone', width: 130 },
      { name: 'status', group: 'status', width: 80 },
    ],
    fields: [
      { name: 'name', kind: 'text', required: true, max: 100 },
      { name: 'credit_code', kind: 'text', required: true, max: 18 },
      { name: 'region', kind: 'text', required: true, max: 6 },
      { name: 'legal_representative', kind: 'text', max: 50 },
      { name: 'address', kind: 'text', max: 200 },
      { name: 'contact_person', kind: 'text', max: 50 },
      { name: 'contact_phone', kind: 'text', max: 20 },
      { name: 'licence_no', kind: 'text', max: 50 },
      { name: 'licence_issued', kind: 'date' },
      { name: 'licence_valid_until', kind: 'date' },
      { name: 'scopes', kind: 'multi', options: ['scheduled_coach', 'charter', 'tourism', 'hazmat', 'general_freight', 'taxi', 'bus', 'ride_hailing', 'maintenance', 'training'], optionGroup: 'scope' },
      { name: 'status', kind: 'select', options: ['active', 'suspended', 'cancelled'], optionGroup: 'status' },
    ],
    keep: ['hazmat_classes'],
  },
  practitioners: {
    sort: 'name',
    categories: practitionerCategories,
    columns: [
      { name: 'name', width: 100 },
      { name: 'id_number', width: 180 },
      { name: 'category', group: 'category' },
      { name: 'operator_id', width: 90 },
      { name: 'cert_no', width: 180 },
      { name: 'cert_valid_until', width: 130, expiry: true },
      { name: 'region', width: 90 },
    ],
    fields: [
      { name: 'name', kind: 'text', required: true, max: 50 },
      { name: 'id_number', kind: 'text', required: true, max: 18 },
      { name: 'category', kind: 'select', required: true, options: practitionerCategories, optionGroup: 'category' },
      { name: 'region', kind: 'text', required: true, max: 6 },
      { name: 'operator_id', kind: 'number' },
      { name: 'phone', kind: 'text', max: 20 },
      { name: 'cert_no', kind: 'text', max: 50 },
      { name: 'cert_valid_until', kind: 'date' },
    ],
  },
  stations: {
    sort: 'name',
    columns: [
      { name: 'name' },
      { name: 'level', group: 'level', width: 110 },
      { name: 'region', width: 90 },
      { name: 'address' },
      { name: 'lon', width: 110 },
      { name: 'lat', width: 110 },
      { name: 'contact_phone', width: 130 },
    ],
    fields: [
      { name: 'name', kind: 'text', required: true, max: 100 },
      { name: 'level', kind: 'select', required: true, options: ['level1', 'level2', 'level3', 'level4', 'level5', 'simple', 'stop'], optionGroup: 'level' },
      { name: 'region', kind: 'text', required: true, max: 6 },
      { name: 'lon', kind: 'decimal', required: true },
      { name: 'lat', kind: 'decimal', required: true },
      { name: 'address', kind: 'text', max: 200 },
      { name: 'operator_id', kind: 'number' },
      { name: 'contact_person', kind: 'text', max: 50 },
      { name: 'contact_phone', kind: 'text', max: 20 },
    ],
  },
  routes: {
    sort: 'code',
    columns: [
      { name: 'code', width: 110 },
      { name: 'name' },
      { name: 'line_class', group: 'lineClass', width: 100 },
      { name: 'operator_id', width: 90 },
      { name: 'region', width: 90 },
      { name: 'distance_km', width: 100 },
      { name: 'corridor_width_m', width: 120 },
      { name: 'valid_until', width: 120, expiry: true },
    ],
    fields: [
      { name: 'code', kind: 'text', required: true, max: 50 },
      { name: 'name', kind: 'text', required: true, max: 100 },
      { name: 'operator_id', kind: 'number', required: true },
      { name: 'region', kind: 'text', required: true, max: 6 },
      { name: 'origin_station_id', kind: 'number', required: true },
      { name: 'destination_station_id', kind: 'number', required: true },
      { name: 'line_class', kind: 'select', required: true, options: ['class1', 'class2', 'class3', 'class4'], optionGroup: 'lineClass' },
      { name: 'distance_km', kind: 'decimal' },
      { name: 'valid_from', kind: 'date' },
      { name: 'valid_until', kind: 'date' },
      { name: 'corridor_width_m', kind: 'number' },
      { name: 'corridor', kind: 'corridor' },
    ],
    keep: ['stops', 'vehicle_ids', 'schedule'],
  },
  vessels: {
    sort: 'name',
    columns: [
      { name: 'name' },
      { name: 'mmsi', width: 120 },
      { name: 'vessel_type', width: 140 },
      { name: 'gross_tonnage', width: 110 },
      { name: 'port_of_registry', width: 120 },
      { name: 'region', width: 90 },
    ],
    fields: [
      { name: 'name', kind: 'text', required: true, max: 100 },
      { name: 'mmsi', kind: 'text', required: true, max: 9 },
      { name: 'region', kind: 'text', required: true, max: 6 },
      { name: 'vessel_type', kind: 'text', max: 50 },
      { name: 'gross_tonnage', kind: 'decimal' },
      { name: 'imo', kind: 'text', max: 10 },
      { name: 'call_sign', kind: 'text', max: 20 },
      { name: 'port_of_registry', kind: 'text', max: 50 },
      { name: 'operator_id', kind: 'number' },
    ],
  },
}

/** The body of a create or update: the form's fields, empty ones left out. */
export function bodyOf(def: EntityDef, form: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of def.fields) {
    const v = form[f.name]
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v) && v.length === 0) continue
    if (f.kind === 'corridor' && !((v as { coordinates?: unknown[] }).coordinates?.length)) continue
    out[f.name] = f.kind === 'number' || f.kind === 'decimal' ? Number(v) : v
  }
  for (const k of def.keep ?? []) {
    const v = form[k]
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v) && v.length === 0) continue
    out[k] = v
  }
  return out
}
