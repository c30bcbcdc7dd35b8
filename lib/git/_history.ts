import fs from 'node:fs'
import git, { TREE, type ReadCommitResult, type WalkerEntry } from 'isomorphic-git'
import type { Repo } from './_repo.js'
import type { CommitSummary, FileChange } from './types.js'

function readCommit(repo: Repo, oid: string): Promise<ReadCommitResult> {
  return git.readCommit({ fs, gitdir: repo.common, oid, cache: repo.cache })
}

export function mergeBases(repo: Repo, a: string, b: string): Promise<string[]> {
  return git.findMergeBase({ fs, gitdir: repo.common, oids: [a, b], cache: repo.cache }) as Promise<string[]>
}

/**
 * The commits reachable from `left` but not `right` (`ahead`) and the reverse (`behind`), newest first.
 * Walks both histories by commit date and stops once every pending commit is reachable from both sides,
 * as `git rev-list --left-right` does.
 */
export async function aheadBehind(repo: Repo, left: string, right: string): Promise<{ ahead: ReadCommitResult[]; behind: ReadCommitResult[] }> {
  const commits = new Map<string, ReadCommitResult>()
  const load = async (oid: string) => {
    let commit = commits.get(oid)
    if (!commit) commits.set(oid, (commit = await readCommit(repo, oid)))
    return commit
  }
  const flags = new Map<string, number>([[left, 1]])
  flags.set(right, (flags.get(right) ?? 0) | 2)
  const queue: ReadCommitResult[] = []
  const enqueue = async (oid: string) => {
    const commit = await load(oid)
    if (queue.includes(commit)) return
    const time = commit.commit.committer.timestamp
    let at = queue.length
    while (at > 0 && queue[at - 1].commit.committer.timestamp < time) at--
    queue.splice(at, 0, commit)
  }
  for (const oid of new Set([left, right])) await enqueue(oid)
  while (queue.some((commit) => flags.get(commit.oid) !== 3)) {
    const commit = queue.shift() as ReadCommitResult
    const flag = flags.get(commit.oid) ?? 0
    for (const parent of commit.commit.parent) {
      const before = flags.get(parent) ?? 0
      if ((before | flag) === before) continue
      flags.set(parent, before | flag)
      await enqueue(parent)
    }
  }
  const side = (wanted: number) => [...flags].filter(([, flag]) => flag === wanted).map(([oid]) => commits.get(oid) as ReadCommitResult)
  const byDate = (a: ReadCommitResult, b: ReadCommitResult) => b.commit.committer.timestamp - a.commit.committer.timestamp
  return { ahead: side(1).sort(byDate), behind: side(2).sort(byDate) }
}

export function summarize(commit: ReadCommitResult): CommitSummary {
  const { author, message } = commit.commit
  return {
    oid: commit.oid,
    message: message.trimEnd(),
    author: `${author.name} <${author.email}>`,
    date: new Date(author.timestamp * 1000).toISOString(),
  }
}

/** Per-file changes from commit `from` (null: nothing) to commit `to`, sorted by path. Unchanged subtrees are skipped. */
export async function diffCommits(repo: Repo, from: string | null, to: string): Promise<FileChange[]> {
  const trees = from ? [TREE({ ref: from }), TREE({ ref: to })] : [TREE({ ref: to })]
  const changes: FileChange[] = []
  await git.walk({
    fs,
    gitdir: repo.common,
    cache: repo.cache,
    trees,
    map: async (path, entries) => {
      const [before, after] = from ? entries : [null, entries[0]]
      if (path === '.') return true
      const [beforeType, afterType] = await Promise.all([typeOf(before), typeOf(after)])
      if (beforeType === 'tree' && afterType === 'tree' && (await before!.oid()) === (await after!.oid())) return null
      const beforeFile = beforeType !== null && beforeType !== 'tree'
      const afterFile = afterType !== null && afterType !== 'tree'
      if (beforeFile && afterFile) {
        const same = (await before!.oid()) === (await after!.oid()) && (await before!.mode()) === (await after!.mode())
        if (!same) changes.push({ path, change: 'modified' })
      } else if (beforeFile) {
        changes.push({ path, change: 'deleted' })
      } else if (afterFile) {
        changes.push({ path, change: 'added' })
      }
      return true
    },
    reduce: async () => undefined,
  })
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

async function typeOf(entry: WalkerEntry | null | undefined): Promise<string | null> {
  return entry ? entry.type() : null
}
