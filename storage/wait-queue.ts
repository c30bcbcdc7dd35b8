import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { join } from 'node:path'

const REFRESH_MS = 500
const ABANDONED_MS = 2_000

/**
 * A FIFO of the processes waiting for one lock, as empty files in `<lock>.queue/` named by arrival. Only the
 * oldest live waiter tries the lock, so a waiter is never starved by luckier pollers. A waiter that stops
 * refreshing its entry (it crashed) is skipped after 2 s.
 */
export class WaitQueue {
  private entry = ''
  private refreshedAt = 0
  private head = false
  /** The live entry just ahead of this one, as of the last look: its departure is what makes this one the head. */
  ahead: string | undefined

  constructor(readonly dir: string) {}

  join(): void {
    this.entry = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${randomBytes(8).toString('hex')}`
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    fs.writeFileSync(join(this.dir, this.entry), '', { mode: 0o600 })
    this.refreshedAt = Date.now()
  }

  isEmpty(): boolean {
    try {
      return fs.readdirSync(this.dir).length === 0
    } catch {
      return true
    }
  }

  /** True when no live waiter arrived before this one. Once true it stays true: later arrivals queue behind. */
  isHead(): boolean {
    const now = Date.now()
    this.refresh(now)
    if (this.head) return true
    let names: string[]
    try {
      names = fs.readdirSync(this.dir).sort()
    } catch {
      return true
    }
    this.ahead = undefined
    for (const name of names) {
      if (name >= this.entry) break
      const stat = fs.statSync(join(this.dir, name), { throwIfNoEntry: false })
      if (stat && now - stat.mtimeMs < ABANDONED_MS) this.ahead = name
      else fs.rmSync(join(this.dir, name), { force: true })
    }
    this.head = this.ahead === undefined
    return this.head
  }

  private refresh(now: number): void {
    if (now - this.refreshedAt <= REFRESH_MS) return
    try {
      fs.utimesSync(join(this.dir, this.entry), new Date(now), new Date(now))
    } catch {
      fs.writeFileSync(join(this.dir, this.entry), '', { mode: 0o600 })
    }
    this.refreshedAt = now
  }

  leave(): void {
    fs.rmSync(join(this.dir, this.entry), { force: true })
  }
}
