import { isAliveOnHost } from '../../storage/host.js'
import { Store } from '../../storage/store.js'
import { newCaller, type Caller, type Ctx, type LockstepStore } from './context.js'
import { DOCUMENTS } from './schema.js'
import type { Settings } from './settings.js'

/** The store of the data folder `dataDir`, holding lockstep's documents. A read-only store never writes or locks. */
export function openStore(dataDir: string, options: { readOnly?: boolean } = {}): LockstepStore {
  return new Store({ dataDir, documents: DOCUMENTS, ...(options.readOnly ? { readOnly: true } : {}) })
}

/** The context of one session over `store`: the clock, and processes checked on this host. */
export function buildCtx(store: LockstepStore, settings: Settings, caller: Partial<Caller> & Pick<Caller, 'sessionId' | 'cwd'>): Ctx {
  return { store, settings, caller: newCaller(caller), now: () => new Date(), isAlive: isAliveOnHost }
}
