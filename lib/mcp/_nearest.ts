/** The names closest to `wanted`, best first: shared words count, then edit distance. */
export function nearestNames(wanted: string, names: string[], count = 3): string[] {
  const words = new Set(
    wanted
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean),
  )
  const score = (name: string) => {
    const shared = name.split('_').filter((word) => words.has(word)).length
    return distance(wanted.toLowerCase(), name) - 3 * shared
  }
  return [...names].sort((a, b) => score(a) - score(b) || a.localeCompare(b)).slice(0, count)
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]
}
