import { readFileSync } from 'node:fs'

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

export function summary(values: number[]): { median: number; p99: number } {
  return { median: percentile(values, 50), p99: percentile(values, 99) }
}

export function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => String(row[col]).length)))
  return rows.map((row) => row.map((cell, col) => String(cell).padEnd(widths[col])).join('  ')).join('\n')
}

/**
 * CPU time the whole machine has spent busy so far (every process and the kernel), in ms; null off Linux. With every
 * CPU busy, throughput is the CPU count divided by the CPU time per operation.
 */
export function machineBusyMs(): number | null {
  let line: string
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]
  } catch {
    return null
  }
  // cpu user nice system idle iowait irq softirq steal …, in ticks of 10 ms
  const [user, nice, system, , , irq, softirq] = line.split(/\s+/).slice(1).map(Number)
  return (user + nice + system + irq + softirq) * 10
}
