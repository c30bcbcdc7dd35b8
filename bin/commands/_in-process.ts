import { endSession } from '../../lib/agents/sessions.js'
import { newId } from '../../lib/core/ids.js'
import type { DaemonAddress } from '../../lib/daemon/address.js'
import { dropStart } from '../../lib/daemon/start-claim.js'
import { HAND_OVER_MS, startSharedServer, type SharedServer } from '../../lib/daemon/shared-server.js'
import { isLockstepError } from '../../lib/errors.js'
import { serveSession } from '../../lib/mcp/session.js'
import { LineStdioTransport } from '../../lib/mcp/stdio.js'
import { buildCtx, openStore } from '../../lib/state/open.js'
import type { Settings } from '../../lib/state/settings.js'
import { SnapshotWriter } from '../../lib/state/snapshot.js'
import { shutdownOnce, sweepEvery } from '../lifecycle.js'
import type { Logger } from '../log.js'
import { packageVersion } from '../../lib/core/version.js'

const LISTEN_AFTER_MS = 40

/**
 * The MCP server in this process, over its stdin and stdout. With `address` (no shared server answered and this
 * process claimed the start of one) it then also becomes the shared server there for the agents started after it,
 * until its own agent leaves: their relays then move on to a shared server of their own. Its own agent is answered
 * first: listening comes after, off the path of its first call.
 */
export async function runInProcess(settings: Settings, logger: Logger, cwd: string, env: NodeJS.ProcessEnv, address?: DaemonAddress): Promise<never> {
  const store = openStore(settings.dataDir)
  const snapshots = new SnapshotWriter({ store, warn: (message) => logger.log('warn', message) })
  const log = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => logger.log(level, message)
  let shared: SharedServer | undefined
  snapshots.attach(store)
  const ctx = buildCtx(store, settings, { sessionId: newId('sess'), transport: 'stdio', pid: process.pid, cwd, env })
  const transport = new LineStdioTransport(process.stdin, process.stdout)
  let closing = false
  const shutdown = shutdownOnce(logger, async () => {
    closing = true
    await endSession(ctx).catch((error) => logger.log('warn', `could not mark the session ended: ${String(error)}`))
    await shared?.handOver(HAND_OVER_MS)
    await snapshots.flush()
    store.close()
  })
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.stdin.on('end', () => shutdown('stdin closed'))
  process.stdin.on('close', () => shutdown('stdin closed'))
  transport.onclose = () => shutdown('transport closed')
  await serveSession(ctx, transport, log)
  // the client's initialize and tools/list come first: they are what its start waits for
  if (address) await new Promise((resolve) => setTimeout(resolve, LISTEN_AFTER_MS))
  if (address && !closing) {
    try {
      shared = await startSharedServer({
        store,
        dataDir: settings.dataDir,
        address,
        version: packageVersion(),
        idleMs: 60_000,
        log,
        ownSession: true,
        onIdle: () => undefined,
        onSessionEnd: () => snapshots.flush(),
      })
    } catch (error) {
      // another process listens there first, or the socket cannot be had (permissions, a file system without
      // sockets): this agent is served here all the same, the others elsewhere
      dropStart(address.startingFile)
      logger.log(isLockstepError(error) && error.code === 'CONFLICT' ? 'info' : 'warn', `not serving other agents from this process: ${String(error)}`)
    }
  }
  logger.log('info', `lockstep-mcp ${settings.serverVersion} serving over stdio (data ${settings.dataDir})${shared ? ', and other agents as their shared server' : ''}`)
  sweepEvery(ctx, () => [ctx.caller.binding?.projectRoot ?? settings.roots[0] ?? ctx.caller.cwd, ...(shared?.roots() ?? [])], logger)
  return new Promise<never>(() => undefined)
}
