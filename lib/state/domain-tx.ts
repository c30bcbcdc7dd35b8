import type { Bodies, Tx } from '../../storage/store.js'
import type { Ctx } from './context.js'
import type { DocName, Documents, Note, Notice } from './schema.js'

export type Docs = Bodies<Documents>

/** A transaction as the domain sees it: the store's, plus the caller's actor, notes and notices. */
export interface DomainTx<K extends DocName> extends Tx<K> {
  readonly actor: string
  readonly ctx: Ctx
  /** Post a note (author `system` unless given). Requires `notes`. */
  note(text: string, author?: string): Note
  /** Queue a notice for an agent, delivered with its next result. Requires `agents`. */
  notify(name: string, notice: Omit<Notice, 'at'>): void
}
