import { promises as fsp, watch, type FSWatcher } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { join } from 'node:path'
import { DOC_FILES } from './_views.js'

export interface StoreChange {
  project: string
  /** Documents that changed (`tasks`, `locks`, …); every document for a project that just appeared. */
  changed: string[]
  added?: true
  removed?: true
}

const DEBOUNCE_MS = 15
const HEARTBEAT_MS = 15_000

/**
 * Watches `<data>/projects/*` for changes made by any process: fs.watch on the folders, plus a poll every `pollMs`
 * where watching misses events. A change is a new (mtime, size, inode) of a document file, so lock folders and
 * temp files coming and going raise nothing.
 */
export class StoreWatch {
  private readonly watchers = new Map<string, FSWatcher>()
  private signatures = new Map<string, Journal>()
  private primed = false
  private scanning: Promise<void> | null = null
  private again = false
  private debounce: NodeJS.Timeout | null = null
  private readonly poll: NodeJS.Timeout
  private closed = false

  constructor(
    private readonly dataDir: string,
    pollMs: number,
    private readonly onChange: (change: StoreChange) => void,
  ) {
    this.watchFolder(dataDir)
    this.poll = setInterval(() => this.poke(), pollMs)
    this.poll.unref()
    this.ready = this.scan()
  }

  /** Resolves once the first scan has recorded what is there: later changes are reported against it. */
  readonly ready: Promise<void>

  /** Scan soon: a watcher fired, or this process committed a change. */
  poke(): void {
    if (this.closed || this.debounce) return
    this.debounce = setTimeout(() => {
      this.debounce = null
      void this.scan()
    }, DEBOUNCE_MS)
  }

  close(): void {
    this.closed = true
    clearInterval(this.poll)
    if (this.debounce) clearTimeout(this.debounce)
    for (const watcher of this.watchers.values()) watcher.close()
    this.watchers.clear()
  }

  private async scan(): Promise<void> {
    if (this.scanning) {
      this.again = true
      return this.scanning
    }
    this.scanning = this.scanOnce().finally(() => {
      this.scanning = null
      if (this.again && !this.closed) {
        this.again = false
        void this.scan()
      }
    })
    return this.scanning
  }

  private async scanOnce(): Promise<void> {
    const base = join(this.dataDir, 'projects')
    this.watchFolder(base)
    const ids = await fsp.readdir(base).catch(() => [] as string[])
    const next = new Map<string, Journal>()
    const changes: StoreChange[] = []
    for (const id of ids) {
      const dir = join(base, id)
      this.watchFolder(dir)
      const stat = await fsp.stat(join(dir, 'journal.jsonl')).catch(() => null)
      const files = await Promise.all(
        DOC_FILES.map(async (file) => {
          const doc = await fsp.stat(join(dir, file)).catch(() => null)
          return doc ? `${doc.mtimeMs}:${doc.size}:${doc.ino}` : '-'
        }),
      )
      if (!stat && files.every((file) => file === '-')) continue
      const before = this.signatures.get(id)
      const journal: Journal = { ino: stat?.ino ?? -1, size: stat?.size ?? 0, files }
      next.set(id, journal)
      if (!before) {
        changes.push({ project: id, changed: docNames(DOC_FILES), added: true })
        continue
      }
      // a snapshot replaced by hand or by a repair is a change too: the page shows, or stops showing, an error
      const changed = new Set(DOC_FILES.filter((_, i) => files[i] !== before.files[i]).map((file) => file.replace(/\.json$/, '')))
      if (journal.ino !== before.ino || journal.size < before.size) for (const name of docNames(DOC_FILES)) changed.add(name)
      // a journal gone since its stat (the project removed, a repair) changes every document
      else if (journal.size > before.size) for (const name of await changedDocuments(join(dir, 'journal.jsonl'), before.size, journal.size).catch(() => docNames(DOC_FILES))) changed.add(name)
      if (changed.size) changes.push({ project: id, changed: [...changed] })
    }
    if (this.closed) return
    const previous = this.signatures
    this.signatures = next
    if (!this.primed) {
      this.primed = true
      return
    }
    for (const change of changes) if (change.changed.length) this.onChange(change)
    for (const id of previous.keys()) if (!next.has(id)) this.onChange({ project: id, changed: [], removed: true })
  }

  private watchFolder(dir: string): void {
    if (this.closed || this.watchers.has(dir)) return
    try {
      const watcher = watch(dir, { persistent: false }, () => this.poke())
      watcher.on('error', () => {
        watcher.close()
        this.watchers.delete(dir)
      })
      this.watchers.set(dir, watcher)
    } catch {
      // not there yet, or watching unsupported: the poll covers it
    }
  }
}

interface Journal {
  ino: number
  size: number
  files: string[]
}

/** The documents that the journal lines between two offsets change. */
async function changedDocuments(file: string, from: number, to: number): Promise<string[]> {
  const handle = await fsp.open(file, 'r')
  try {
    const buffer = Buffer.alloc(to - from)
    await handle.read(buffer, 0, buffer.length, from)
    const names = new Set<string>()
    for (const text of buffer.toString('utf8').split('\n')) {
      try {
        for (const op of (JSON.parse(text) as { ops?: unknown[][] }).ops ?? []) if (typeof op[0] === 'string' && op[0] !== '@file') names.add(op[0])
      } catch {
        // a torn or partial line: the next scan reads it whole
      }
    }
    return [...names]
  } finally {
    await handle.close()
  }
}

function docNames(files: readonly string[]): string[] {
  return files.map((file) => file.replace(/\.json$/, ''))
}

/** The Server-Sent Events clients: each change is one `change` event; a comment line keeps idle proxies open. */
export class EventHub {
  private readonly clients = new Set<ServerResponse>()
  private readonly heartbeat: NodeJS.Timeout

  constructor() {
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  attach(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' })
    // the browser's EventSource reconnects by itself after this delay
    res.write('retry: 1000\n\nevent: ready\ndata: {}\n\n')
    this.clients.add(res)
    res.on('close', () => this.clients.delete(res))
  }

  send(change: StoreChange): void {
    this.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`)
  }

  get size(): number {
    return this.clients.size
  }

  close(): void {
    clearInterval(this.heartbeat)
    for (const res of this.clients) res.end()
    this.clients.clear()
  }

  private write(text: string): void {
    for (const res of this.clients) res.write(text)
  }
}
