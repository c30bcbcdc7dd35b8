import nodeFs from 'node:fs'
import { join } from 'node:path'
import * as v from 'valibot'
import git from 'isomorphic-git'
import { LockstepError } from '../errors.js'
import { parseInput } from '../core/validate.js'
import { worktreeFs } from './_fs.js'
import { Author, Root } from './_input.js'
import { locateRepo, readGitFile } from '../../storage/git-top.js'

const CommitAllInput = v.strictObject({
  dir: Root,
  message: v.pipe(v.string(), v.minLength(1), v.maxLength(10_000)),
  author: Author,
})
export type CommitAllOptions = v.InferInput<typeof CommitAllInput>

/**
 * `git add -A && git commit` in the working tree `dir`, the main one or a linked worktree, on the branch checked
 * out there. Returns the new commit, or null when nothing changed. Throws INVALID_INPUT, NOT_FOUND.
 */
export async function commitAll(options: CommitAllOptions): Promise<string | null> {
  const input = parseInput(CommitAllInput, options)
  const location = locateRepo(input.dir)
  if (!location) throw new LockstepError('NOT_FOUND', `${input.dir} is not inside a git repository; run git init there first.`, { dir: input.dir })
  const dotGit = join(input.dir, '.git')
  // a linked worktree keeps HEAD and its index in its own admin dir; objects and refs live in the common dir
  const admin = nodeFs.statSync(dotGit, { throwIfNoEntry: false })?.isFile() ? readGitFile(dotGit) : null
  const fs = admin ? worktreeFs(location.common, admin) : nodeFs
  const where = { fs, dir: input.dir, gitdir: admin ?? location.common }
  let changed = false
  for (const [filepath, head, workdir, stage] of await git.statusMatrix(where)) {
    if (head === 1 && workdir === 1 && stage === 1) continue
    changed = true
    if (workdir === 0) await git.remove({ ...where, filepath })
    else await git.add({ ...where, filepath })
  }
  if (!changed) return null
  return git.commit({ ...where, message: input.message, author: input.author, committer: input.author })
}
