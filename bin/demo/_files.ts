// What the demo's implementers write: a small but working to-do command line, so the result can be run.

export const ARGS_JS = `// Split argv into a command and its words.
export function parseArgs(argv) {
  const [command = 'list', ...words] = argv
  return { command, text: words.join(' ') }
}
`

export const STORE_JS_ROUND_1 = `import { readFileSync, writeFileSync } from 'node:fs'

const FILE = process.env.TODO_FILE ?? 'todos.json'

export function load() {
  return JSON.parse(readFileSync(FILE, 'utf8'))
}

export function save(todos) {
  writeFileSync(FILE, JSON.stringify(todos, null, 2) + '\\n')
}
`

export const STORE_JS_ROUND_2 = `import { readFileSync, writeFileSync } from 'node:fs'

const FILE = process.env.TODO_FILE ?? 'todos.json'

// One JSON file holds the whole list (decided in the discussion on storage).
export function load() {
  try {
    return JSON.parse(readFileSync(FILE, 'utf8'))
  } catch (error) {
    if (error.code === 'ENOENT') return []
    throw error
  }
}

export function save(todos) {
  writeFileSync(FILE, JSON.stringify(todos, null, 2) + '\\n')
}
`

export const LIST_JS = `import { load } from '../store.js'

export function list() {
  return load().map((todo, index) => \`\${index + 1}. [\${todo.done ? 'x' : ' '}] \${todo.text}\`).join('\\n')
}
`

export const DONE_JS = `import { load, save } from '../store.js'

export function done(number) {
  const todos = load()
  const todo = todos[Number(number) - 1]
  if (!todo) throw new Error(\`no to-do number \${number}\`)
  todo.done = true
  save(todos)
  return \`done: \${todo.text}\`
}
`

export const INDEX_WITH_LIST = `#!/usr/bin/env node
import { parseArgs } from './args.js'
import { list } from './commands/list.js'

const { command } = parseArgs(process.argv.slice(2))
const commands = { list: () => list() }
console.log(commands[command]?.() ?? \`unknown command: \${command}\`)
`

export const INDEX_WITH_DONE = `#!/usr/bin/env node
import { parseArgs } from './args.js'
import { done } from './commands/done.js'
import { list } from './commands/list.js'

const { command, text } = parseArgs(process.argv.slice(2))
const commands = { list: () => list(), done: () => done(text) }
console.log(commands[command]?.() ?? \`unknown command: \${command}\`)
`

export const README_MD = `# todo-cli

A tiny to-do list for the terminal.

## Usage

\`\`\`sh
todo list        # show the list
todo done 2      # mark the second to-do as done
\`\`\`

The list lives in \`todos.json\` (or the file named by \`TODO_FILE\`).
`
