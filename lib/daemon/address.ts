import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { lstatSync, mkdirSync } from 'node:fs'

/** Where the shared server of one data folder listens, and the file holding the secret its relays present. */
export interface DaemonAddress {
  /** Hash of everything a session cannot choose for itself: the build, the runtime and its flags, the data folder. */
  key: string
  runDir: string
  /** The folder of the socket: the run folder, or a private one in the temporary folder when that path is too long. */
  socketDir: string
  socketPath: string
  tokenFile: string
  /** Created exclusively by the relay that starts a shared server, removed by that server once it listens. */
  startingFile: string
}

// sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included
const MAX_SOCKET_PATH = 100

export interface Runtime {
  version: string
  execPath: string
  execArgv: readonly string[]
  entry: string
  nodeOptions: string | undefined
  platform: NodeJS.Platform
  uid: number
}

export function currentRuntime(version: string): Runtime {
  return {
    version,
    execPath: process.execPath,
    execArgv: process.execArgv,
    entry: process.argv[1] ?? '',
    nodeOptions: process.env.NODE_OPTIONS,
    platform: process.platform,
    uid: process.getuid?.() ?? 0,
  }
}

/**
 * One shared server per data folder and build: relays of another version, another Node or other Node flags (a
 * preload) start their own, and all of them stay correct together, since the journal is the store.
 */
export function daemonAddress(dataDir: string, runtime: Runtime): DaemonAddress {
  const parts = [runtime.version, runtime.execPath, JSON.stringify(runtime.execArgv), runtime.entry, runtime.nodeOptions ?? '', dataDir]
  const key = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16)
  const runDir = join(dataDir, 'run')
  const tokenFile = join(runDir, `shared-${key}.token`)
  const startingFile = join(runDir, `shared-${key}.starting`)
  if (runtime.platform === 'win32') return { key, runDir, tokenFile, startingFile, socketDir: runDir, socketPath: `\\\\.\\pipe\\lockstep-mcp-${key}` }
  const inside = join(runDir, `shared-${key}.sock`)
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return { key, runDir, tokenFile, startingFile, socketDir: runDir, socketPath: inside }
  // a data folder deep below a long path: the socket goes to this user's private folder in the temporary folder
  const socketDir = join(shortTmp(runtime.platform), `lockstep-mcp-${runtime.uid}`)
  return { key, runDir, tokenFile, startingFile, socketDir, socketPath: join(socketDir, `${key}.sock`) }
}

/**
 * Make `dir` (mode 0700) and check that it is this user's alone: a folder of another user, or a symbolic link, in a
 * shared temporary folder would let that user serve our agents or read what they send. False when it is not.
 */
export function privateDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const stat = lstatSync(dir)
    const uid = process.getuid?.()
    return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o077) === 0
  } catch {
    return false
  }
}

function shortTmp(platform: NodeJS.Platform): string {
  const tmp = tmpdir()
  return platform !== 'win32' && Buffer.byteLength(tmp) > 60 ? '/tmp' : tmp
}

/** 'connected' when a process listens at `path`; else the error's code (ECONNREFUSED: a file left by a dead one). */
export function probe(path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
  })
}
