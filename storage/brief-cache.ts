/**
 * Answers kept for `ttlMs` (at most `kept` of them, all dropped when full): for lookups that every tool call makes and
 * that change rarely, so that a change is noticed that much late.
 */
export function briefCache<T>(ttlMs: number, kept = 64): (key: string, make: () => T) => T {
  const entries = new Map<string, { value: T; until: number }>()
  return (key, make) => {
    const now = Date.now()
    const cached = entries.get(key)
    if (cached && cached.until > now) return cached.value
    const value = make()
    if (entries.size >= kept) entries.clear()
    entries.set(key, { value, until: now + ttlMs })
    return value
  }
}
