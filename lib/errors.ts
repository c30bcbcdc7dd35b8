const ERROR_CODES = ['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT', 'LOCKED', 'FORBIDDEN', 'BUSY', 'CORRUPT_STATE', 'UNAVAILABLE'] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** The one error type of lockstep-mcp. Messages are read by agents: name the value, the reason and the next step. */
export class LockstepError extends Error {
  override name = 'LockstepError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message)
  }

  toJSON(): { code: ErrorCode; message: string; data: Record<string, unknown> } {
    return { code: this.code, message: this.message, data: this.data }
  }
}

export function isLockstepError(error: unknown): error is LockstepError {
  return error instanceof LockstepError
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value)
}
