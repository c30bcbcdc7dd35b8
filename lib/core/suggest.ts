/** Candidates close to `given`, closest first: for "did you mean" after a typo in a command, flag or client name. */
export function closest(given: string, candidates: readonly string[], max = 3): string[] {
  const word = given.toLowerCase()
  const scored = candidates
    .map((candidate) => ({ candidate, distance: editDistance(word, candidate.toLowerCase()) }))
    // a prefix counts as close however long the rest is: `--dry` for `--dry-run`
    .map((item) => (item.candidate.toLowerCase().startsWith(word) && word.length >= 2 ? { ...item, distance: Math.min(item.distance, 1) } : item))
    .filter((item) => item.distance <= Math.max(2, Math.floor(word.length / 3)))
  scored.sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
  return scored.slice(0, max).map((item) => item.candidate)
}

/** Damerau-Levenshtein distance (optimal string alignment): a swap of two neighbours counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}

/** ` (did you mean a or b?)`, or nothing when no candidate is close. */
export function didYouMean(given: string, candidates: readonly string[]): string {
  const near = closest(given, candidates)
  return near.length ? ` (did you mean ${near.length === 1 ? near[0] : `${near.slice(0, -1).join(', ')} or ${near.at(-1)}`}?)` : ''
}
