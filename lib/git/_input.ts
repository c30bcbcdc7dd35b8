import * as v from 'valibot'
import { isValidName } from '../core/validate.js'
import type { RepoLock } from './types.js'

/** git check-ref-format rules for a branch name. */
function isValidBranchName(name: string): boolean {
  if (name === '@' || name.startsWith('-') || name.endsWith('.') || name.includes('..') || name.includes('@{')) return false
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false
  const parts = name.split('/')
  return parts.every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'))
}

export const Root = v.pipe(v.string(), v.minLength(1), v.maxLength(1024))

export const WorktreeName = v.pipe(v.string(), v.check(isValidName, 'a name is 1–40 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit, without "..", not ending in "." or ".lock"'))

export const BranchName = v.pipe(
  v.string(),
  v.maxLength(255),
  v.transform((name) => name.replace(/^refs\/heads\//, '')),
  v.check(isValidBranchName, 'a branch name such as main or feature/x, following git check-ref-format'),
)

export const RepoLockOption = v.optional(v.custom<RepoLock>((value) => typeof value === 'function', 'a function that runs a callback under the repository lock'))

export const Author = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  email: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
})
