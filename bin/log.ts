import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const
export type LogLevel = keyof typeof LEVELS
const MAX_BYTES = 5 * 1024 * 1024
const KEPT = 3

export interface Logger {
  log(level: LogLevel, message: string): void
}

/** Lines "<ts> <level> <pid> <message>" to stderr and <logs>/<name>.log, rotated at 5 MiB with 3 kept. Never stdout. */
export function createLogger(logDir: string, name: string, threshold: LogLevel, stderr: NodeJS.WritableStream = process.stderr): Logger {
  const file = join(logDir, `${name}.log`)
  let fileOk = true
  try {
    mkdirSync(logDir, { recursive: true, mode: 0o700 })
  } catch {
    fileOk = false
  }
  return {
    log(level, message) {
      if (LEVELS[level] > LEVELS[threshold]) return
      const line = `${new Date().toISOString()} ${level} ${process.pid} ${message}\n`
      stderr.write(line)
      if (!fileOk) return
      try {
        if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) > MAX_BYTES) rotate(file)
        appendFileSync(file, line, { mode: 0o600 })
      } catch {
        fileOk = false
      }
    },
  }
}

function rotate(file: string): void {
  rmSync(`${file}.${KEPT}`, { force: true })
  for (let index = KEPT - 1; index >= 1; index--) {
    try {
      renameSync(`${file}.${index}`, `${file}.${index + 1}`)
    } catch {
      // that generation does not exist yet
    }
  }
  renameSync(file, `${file}.1`)
}
