import { LockstepError } from '../errors.js'

/** Characters that would make a shell do more than run one program. */
const SHELL_METACHARACTERS: ReadonlySet<string> = new Set([';', '&', '|', '<', '>', '(', ')', '$', '`', '\n'])

export interface SplitCommand {
  argv: string[]
  /** The first shell metacharacter found outside quotes and not escaped. */
  unquotedMetacharacter?: string
}

// inside double quotes a backslash only escapes these; before anything else it stays literal
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`'])

/**
 * Split a command into words as a POSIX shell does, with no expansion of any kind (variables, globs, `~`).
 * Throws INVALID_INPUT for an unterminated quote.
 */
export function splitCommand(command: string): SplitCommand {
  const argv: string[] = []
  let word = ''
  let inWord = false
  let unquotedMetacharacter: string | undefined
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!
    if (char === ' ' || char === '\t') {
      if (inWord) argv.push(word)
      word = ''
      inWord = false
      continue
    }
    if (char === '\\') {
      const next = command[i + 1]
      // backslash-newline is a line continuation, as in sh: multi-line commands split the way the author meant
      if (next === '\n') {
        i++
        continue
      }
      inWord = true
      if (next === undefined) word += char
      else {
        word += next
        i++
      }
      continue
    }
    inWord = true
    if (char === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) throw unterminated("'", i, command)
      word += command.slice(i + 1, end)
      i = end
    } else if (char === '"') {
      const { text, end } = readDoubleQuoted(command, i)
      word += text
      i = end
    } else {
      if (SHELL_METACHARACTERS.has(char)) unquotedMetacharacter ??= char
      word += char
    }
  }
  if (inWord) argv.push(word)
  return unquotedMetacharacter === undefined ? { argv } : { argv, unquotedMetacharacter }
}

/** The first shell metacharacter anywhere in the text, quoted or not. */
export function findShellMetacharacter(text: string): string | undefined {
  for (const char of text) if (SHELL_METACHARACTERS.has(char)) return char
  return undefined
}

function readDoubleQuoted(command: string, open: number): { text: string; end: number } {
  let text = ''
  for (let i = open + 1; i < command.length; i++) {
    const char = command[i]!
    if (char === '"') return { text, end: i }
    if (char === '\\' && i + 1 < command.length) {
      const next = command[i + 1]!
      if (next === '\n') {
        i++
        continue
      }
      if (DOUBLE_QUOTE_ESCAPES.has(next)) {
        text += next
        i++
        continue
      }
    }
    text += char
  }
  throw unterminated('"', open, command)
}

function unterminated(quote: string, index: number, command: string): LockstepError {
  return new LockstepError('INVALID_INPUT', `The ${quote} quote at character ${index + 1} of the command is never closed; close it, or escape it with a ` + 'backslash.', { command, index })
}
