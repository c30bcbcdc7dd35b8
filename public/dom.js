// Small DOM helpers: elements are built with text nodes only, so nothing from the store is parsed as HTML.

/** h('div', {class: 'x', dataset: {id: 1}, onclick}, child, 'text', [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') el.className = value
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else if (value === true) el.setAttribute(key, '')
    else el.setAttribute(key, String(value))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    if (Array.isArray(child)) append(el, child)
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

export function empty(text) {
  return h('p', { class: 'empty' }, text)
}

export function $(id) {
  return document.getElementById(id)
}

const pad = (n) => String(n).padStart(2, '0')

/** 14:32 today, else "3 Mar 14:32". */
export function time(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  const now = new Date()
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  if (d.toDateString() === now.toDateString()) return hm
  return `${d.getDate()} ${d.toLocaleString('en', { month: 'short' })} ${hm}`
}

export function clock(iso) {
  const d = new Date(iso)
  return `${time(iso)}:${pad(d.getSeconds())}`
}

/** "in 12 min" / "3 min ago", as of the last render. */
export function relative(iso) {
  const minutes = Math.round((Date.parse(iso) - Date.now()) / 60000)
  if (minutes === 0) return 'now'
  const span = Math.abs(minutes) >= 120 ? `${Math.round(Math.abs(minutes) / 60)} h` : `${Math.abs(minutes)} min`
  return minutes > 0 ? `in ${span}` : `${span} ago`
}

export function label(status) {
  return String(status).replace(/_/g, ' ')
}

export function bytes(n) {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`
}
