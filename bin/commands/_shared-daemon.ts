import { existsSync } from 'node:fs'
import { HAND_OVER_MS, startSharedServer } from '../../lib/daemon/shared-server.js'
import { isLockstepError } from '../../lib/errors.js'
import { newId } from '../../lib/core/ids.js'
import { buildCtx, openStore } from '../../lib/state/open.js'
import type { Settings } from '../../lib/state/settings.js'
import { SnapshotWriter } from '../../lib/state/snapshot.js'
import { shutdownOnce, sweepEvery } from '../lifecycle.js'
import type { Logger } from '../log.js'
import { packageVersion } from '../../lib/core/version.js'
import { sharedAddress } from './_shared.js'

/** The shared server's process (`server --shared-daemon`, started by a relay): serves relays until idle. */
export async function runSharedDaemon(settings: Settings, idleSec: number, logger: Logger, cwd: string): Promise<number> {
  // a bug in one session must not pass silently: the relays resume their sessions on the next shared server
  process.on('uncaughtException', (error) => {
    logger.log('error', `shared server stopped by an uncaught error: ${error.stack ?? String(error)}`)
    process.exit(1)
  })
  const store = openStore(settings.dataDir)
  const snapshots = new SnapshotWriter({ store, warn: (message) => logger.log('warn', message) })
  snapshots.attach(store)
  const log = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => logger.log(level, message)
  let shutdown: (why: string) => void = () => process.exit(0)
  const shared = await startSharedServer({
    store,
    dataDir: settings.dataDir,
    address: sharedAddress(settings),
    version: packageVersion(),
    idleMs: idleSec * 1000,
    log,
    ownSession: false,
    onIdle: () => shutdown('idle'),
    onSessionEnd: () => snapshots.flush(),
  }).catch((error: unknown) => {
    store.close()
    // another shared server took the address first: it serves the relays, and this process has nothing to do
    if (isLockstepError(error) && error.code === 'CONFLICT') return undefined
    throw error
  })
  if (!shared) {
    logger.log('info', 'another shared server answers at this address; exiting')
    return 0
  }
  shutdown = shutdownOnce(logger, async () => {
    await shared.handOver(HAND_OVER_MS)
    // a data folder removed under it (a test's, a reset) is not written again
    if (existsSync(settings.dataDir)) await snapshots.flush()
    store.close()
  })
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  logger.log('info', `lockstep-mcp ${settings.serverVersion} shared server for ${settings.dataDir}`)
  sweepEvery(buildCtx(store, settings, { sessionId: newId('sess'), transport: 'stdio', cwd }), () => shared.roots(), logger)
  return new Promise<number>(() => undefined)
}
