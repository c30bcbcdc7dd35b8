import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const GUARD_CLIENTS = ['claude', 'codex', 'cursor', 'gemini', 'git'] as const
export type GuardClient = (typeof GUARD_CLIENTS)[number]

type Payload = { tool_name?: unknown; tool_input?: unknown }

/** The files a client's pre-tool payload is about to change (absolute, or relative to the payload's cwd). */
export function editedPaths(client: GuardClient, payload: unknown): string[] {
  const { tool_name: tool, tool_input: raw } = (payload ?? {}) as Payload
  const input = (typeof raw === 'string' ? safeParse(raw) : raw) as Record<string, unknown> | undefined
  if (!input || typeof input !== 'object') return []
  if (client === 'codex' || tool === 'apply_patch') {
    const patch = [input.command, input.patch, input.input].find((value) => typeof value === 'string') as string | undefined
    return patch ? patchPaths(patch) : []
  }
  const keys = ['file_path', 'notebook_path', 'path', 'target_file', 'filePath']
  return keys
    .map((key) => input[key])
    .filter((value): value is string => typeof value === 'string' && value !== '')
    .slice(0, 1)
}

/** The files an apply_patch envelope adds, updates, deletes or moves to. */
function patchPaths(patch: string): string[] {
  const out: string[] = []
  for (const line of patch.split(/\r?\n/)) {
    const match = /^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+?)\s*$/.exec(line)
    if (match) out.push(match[1]!)
  }
  return out
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** What the hook prints and returns, in the client's own format; an allowed edit leaves the normal permission flow alone. */
export interface Refusal {
  projectRoot: string
  path: string
  holder: string
  lockPath: string
  expiresAt: string
  message: string
}

export interface GuardVerdict {
  client: GuardClient
  editor: string | null
  refused: Refusal[]
  /** Why the guard let everything through without checking (store unreadable, say); said once per project and reason. */
  passReason?: string
}

export function guardReply(verdict: GuardVerdict, sayOnce: string | null): { stdout: string; stderr: string; code: number } {
  const reason = verdict.refused.map((item) => item.message).join('\n')
  const note = sayOnce ? `lockstep guard: edits are not checked: ${sayOnce}.` : ''
  const json = (value: unknown) => `${JSON.stringify(value)}\n`
  switch (verdict.client) {
    case 'git':
      if (reason) return { stdout: '', stderr: `${reason}\nThe commit was refused; after the release, commit again (git commit --no-verify skips this check).\n`, code: 1 }
      return { stdout: '', stderr: note ? `${note}\n` : '', code: 0 }
    case 'claude':
    case 'codex':
      if (reason) return { stdout: json({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } }), stderr: '', code: 0 }
      // Codex rejects PreToolUse output fields it does not support: it gets the note on stderr only
      if (verdict.client === 'codex') return { stdout: '', stderr: note ? `${note}\n` : '', code: 0 }
      return { stdout: note ? json({ systemMessage: note }) : '', stderr: '', code: 0 }
    case 'gemini':
      if (reason) return { stdout: json({ decision: 'deny', reason }), stderr: '', code: 0 }
      return { stdout: json(note ? { systemMessage: note } : {}), stderr: '', code: 0 }
    case 'cursor':
      if (reason) return { stdout: json({ permission: 'deny', user_message: reason, agent_message: reason }), stderr: '', code: 0 }
      return { stdout: json(note ? { user_message: note } : {}), stderr: '', code: 0 }
  }
}

/** True the first time this reason is given for this folder on this machine (a marker file in the temp folder). */
export function firstTime(key: string): boolean {
  const dir = join(tmpdir(), 'lockstep-guard')
  const marker = join(dir, createHash('sha256').update(key).digest('hex').slice(0, 16))
  try {
    mkdirSync(dir, { recursive: true })
    closeSync(openSync(marker, 'wx'))
    return true
  } catch {
    return false
  }
}
