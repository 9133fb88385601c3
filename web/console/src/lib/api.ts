// The platform's REST API (/api/v1): JSON in and out, the session cookie for
// identity, the session's CSRF token on every unsafe method, and RFC 9457
// problem+json errors turned into ApiError with one entry per invalid field.

export interface FieldProblem {
  location: string // e.g. "body.vin"
  message: string
  value?: unknown
}

export class ApiError extends Error {
  status: number
  detail: string
  errors: FieldProblem[]
  constructor(status: number, detail: string, errors: FieldProblem[] = []) {
    super(detail)
    this.status = status
    this.detail = detail
    this.errors = errors
  }

  /** The field errors keyed by API field name ("body.vin" → "vin"). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.errors) {
      const field = (e.location || '').replace(/^body\./, '')
      if (field && !out[field]) out[field] = e.message
    }
    return out
  }
}

export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

let csrfToken = ''
let onUnauthorized: (() => void) | null = null

export function setCsrfToken(token: string): void {
  csrfToken = token
}

/** Called when a request finds the session gone (401), e.g. after idle expiry. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn
}

const base = '/api/v1'

export interface RequestOptions {
  body?: unknown
  raw?: Blob | ArrayBuffer
  contentType?: string
  headers?: Record<string, string>
  /** Do not run the global 401 handler (the login form reports it itself). */
  quiet401?: boolean
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  let body: BodyInit | undefined
  if (opts.raw !== undefined) {
    body = opts.raw
    headers['Content-Type'] = opts.contentType || 'application/octet-stream'
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['Content-Type'] = 'application/json'
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  let resp: Response
  try {
    resp = await fetch(base + path, { method, headers, body, credentials: 'same-origin' })
  } catch (e) {
    throw new ApiError(0, (e as Error).message || 'network error')
  }
  const text = resp.status === 204 ? '' : await resp.text()
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (!resp.ok) {
    const p = (data && typeof data === 'object' ? data : {}) as { detail?: string; title?: string; errors?: FieldProblem[] }
    const err = new ApiError(resp.status, p.detail || p.title || resp.statusText, p.errors || [])
    if (resp.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized()
    throw err
  }
  return data as T
}

export const get = <T>(path: string) => request<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} })

/** Builds a query string from the set values of params. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    q.set(k, String(v))
  }
  const s = q.toString()
  return s ? '?' + s : ''
}

/** Absolute URL of an API download (export), for a link or window.open. */
export function downloadURL(path: string): string {
  return base + path
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const fields = e.errors.map((f) => `${f.location.replace(/^body\./, '')}: ${f.message}`)
    return fields.length ? `${e.detail} (${fields.join('; ')})` : e.detail
  }
  return (e as Error)?.message ?? String(e)
}
