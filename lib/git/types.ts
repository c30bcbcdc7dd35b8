/** Runs `fn` while holding the caller's repository lock, so that git writes of one project never overlap. */
export type RepoLock = <T>(fn: () => Promise<T>) => Promise<T>

export interface CommitSummary {
  oid: string
  message: string
  /** `Name <email>` */
  author: string
  /** Author date, ISO 8601. */
  date: string
}

export interface FileChange {
  path: string
  change: 'added' | 'modified' | 'deleted'
}
