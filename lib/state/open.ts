import { isAliveOnHost } from '../../storage/host.js'
import { Store } from '../../storage/store.js'
import { newCaller, type Caller, type Ctx, type LockstepStore } from './context.js'
import { DOCUMENTS } from './schema.js'
import { packageVersion } from '../core/version.js'
import { resolveSettings, type Settings, type SettingsFlags } from './settings.js'

/** The store of the data folder `dataDir`, holding lockstep's documents. A read-only store refuses to write. */
export function openStore(dataDir: string, options: { readOnly?: boolean } = {}): LockstepStore {
  return new Store({ dataDir, documents: DOCUMENTS, ...(options.readOnly ? { readOnly: true } : {}) })
}

/** The context of one session over `store`: the clock, and processes checked on this host. */
export function buildCtx(store: LockstepStore, settings: Settings, caller: Partial<Caller> & Pick<Caller, 'sessionId' | 'cwd'>): Ctx {
  return { store, settings, caller: newCaller(caller), now: () => new Date(), isAlive: isAliveOnHost }
}

/** Resolve the settings of `flags` in `host`, run `use` on their store and close it after. */
export async function withStore<T>(flags: SettingsFlags, host: { env: NodeJS.ProcessEnv; cwd: string }, use: (store: LockstepStore, settings: Settings) => Promise<T>): Promise<T> {
  const { settings } = resolveSettings(flags, host.env, host.cwd, packageVersion())
  const store = openStore(settings.dataDir)
  try {
    return await use(store, settings)
  } finally {
    store.close()
  }
}
