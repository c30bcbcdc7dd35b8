// The real Claude Code CLI, headless, against the model stand-in, with a lockstep server started as `--tools auto`:
// the scripted model calls coordination_init as an implementer, then ends. The tools Claude Code offers the model on
// the first turn and on the turn after the call show whether it followed notifications/tools/list_changed. The
// server log names the protocol revision Claude Code negotiated.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runHeadless } from './run-headless.js'
import { startModelStandIn } from './model-stand-in.js'

export interface ToolListRun {
  /** Our tools (without the mcp__lockstep-mcp__ prefix) offered to the model on each agent turn. */
  turns: string[][]
  /** `client <name> <version> speaks MCP <revision>` lines of the server log. */
  handshakes: string[]
  exit: number | null
  output: string
}

const PREFIX = 'mcp__lockstep-mcp__'

export async function runClaudeToolLists(claude: string, cli: string, project: string, env: Record<string, string>): Promise<ToolListRun> {
  writeFileSync(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { 'lockstep-mcp': { command: process.execPath, args: [cli, 'server', '--tools', 'auto'] } } }))
  mkdirSync(join(env.HOME!, '.claude'), { recursive: true })
  writeFileSync(join(env.HOME!, '.claude', 'settings.json'), '{"enableAllProjectMcpServers": true}\n')
  const standIn = await startModelStandIn([{ tool: `${PREFIX}coordination_init`, input: { role: 'implementer' } }, { text: 'Done.' }])
  try {
    // Claude Code 2.1.3xx defers MCP tools behind its tool search by default, so that the model would see no list
    // at all; with the search off it sends every listed tool, which is what this check reads
    const run = await runHeadless(claude, ['-p', 'Register with lockstep.', '--output-format', 'json', '--permission-mode', 'bypassPermissions', '--model', 'claude-sonnet-4-5'], {
      cwd: project,
      env: { ...env, ANTHROPIC_BASE_URL: standIn.url, ANTHROPIC_API_KEY: 'sk-ant-stand-in', IS_SANDBOX: '1', ENABLE_TOOL_SEARCH: 'false' },
    })
    const turns = standIn.turns.map((body) => (body.tools as { name: string }[]).filter((tool) => tool.name.startsWith(PREFIX)).map((tool) => tool.name.slice(PREFIX.length)))
    const log = join(env.LOCKSTEP_HOME!, 'logs', 'server.log')
    const handshakes = existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((line) => line.includes('claude') && line.includes('speaks MCP'))
      : []
    return { turns, handshakes, ...run }
  } finally {
    await standIn.close()
  }
}
