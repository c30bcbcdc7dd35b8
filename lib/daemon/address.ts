import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where the shared server of one data folder listens, and the file holding the secret its relays present. */
export interface DaemonAddress {
  /** Hash of everything a session cannot choose for itself: the build, the runtime and its flags, the data folder. */
  key: string
  runDir: string
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
}

export function currentRuntime(version: string): Runtime {
  return { version, execPath: process.execPath, execArgv: process.execArgv, entry: process.argv[1] ?? '', nodeOptions: process.env.NODE_OPTIONS, platform: process.platform }
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
  if (runtime.platform === 'win32') return { key, runDir, tokenFile, startingFile, socketPath: `\\\\.\\pipe\\lockstep-mcp-${key}` }
  const inside = join(runDir, `shared-${key}.sock`)
  // a data folder deep below a long path: the socket goes to the temporary folder, still named by the key
  const socketPath = Buffer.byteLength(inside) <= MAX_SOCKET_PATH ? inside : join(shortTmp(runtime.platform), `lockstep-mcp-${key}.sock`)
  return { key, runDir, tokenFile, startingFile, socketPath }
}

function shortTmp(platform: NodeJS.Platform): string {
  const tmp = tmpdir()
  return platform !== 'win32' && Buffer.byteLength(tmp) > 60 ? '/tmp' : tmp
}
