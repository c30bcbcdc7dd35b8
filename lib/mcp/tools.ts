import type * as v from 'valibot'
import type { Ctx } from '../state/context.js'
import * as agents from '../agents/agents.js'
import * as artifacts from '../messages/artifacts.js'
import * as claimNext from '../tasks/claim-next.js'
import * as commandTools from '../commands/command-tools.js'
import * as dashboard from '../launch/dashboard-open.js'
import * as discussions from '../messages/discussions.js'
import * as fileTools from '../workspace/file-tools.js'
import * as implementers from '../agents/implementers.js'
import * as launch from '../launch/launch.js'
import * as locks from '../locks/locks.js'
import * as events from '../messages/events.js'
import * as notes from '../messages/notes.js'
import * as context from '../project/project-context.js'
import * as reviews from '../tasks/reviews.js'
import * as reset from '../agents/session-reset.js'
import * as status from '../status/status.js'
import * as queries from '../tasks/task-queries.js'
import * as updates from '../tasks/task-updates.js'
import * as tasks from '../tasks/tasks.js'
import * as worktrees from '../workspace/worktrees.js'
import type { ToolProfile } from '../state/settings.js'
import * as views from './results.js'
import type { ResultView } from './results.js'

export interface ToolDef {
  name: string
  description: string
  input: v.GenericSchema
  readOnly?: boolean
  destructive?: boolean
  /** Calling again with the same arguments changes nothing more. */
  idempotent?: boolean
  /** What the agent reads back, when it is less than the lib function returns (results.ts). */
  view?: ResultView
  handler: (ctx: Ctx, args: unknown) => Promise<unknown>
}

const tool = (name: string, description: string, input: v.GenericSchema, handler: ToolDef['handler'], flags: Partial<ToolDef> = {}): ToolDef => ({
  name,
  description,
  input,
  handler,
  ...flags,
})
const read = { readOnly: true }
const same = { idempotent: true }

/** The tool table: schema, name, description and one call into lib per tool. No MCP SDK types here. */
export const TOOLS: ToolDef[] = [
  tool('coordination_init', 'Call first: registers you and says what to do next.', agents.CoordinationInitInput, agents.coordinationInit),
  tool('project_context_set', "Use to save the project's goal, criteria and plan.", context.SetContextInput, context.setProjectContext, same),
  tool('project_context_get', 'Use to read the goal and plan.', context.GetContextInput, context.getProjectContext, read),
  tool('project_status_set', 'Use to set the project status (planner only).', context.SetStatusInput, context.setProjectStatusTool, same),
  tool('status_get', 'Use to check settings and counts.', status.StatusInput, status.getStatus, read),
  tool('session_reset', "Use only to wipe this project's tasks, locks and notes (planner only).", reset.SessionResetInput, reset.resetSession, { destructive: true }),
  tool('implementer_list', 'Use to see implementers, their liveness and worktrees.', implementers.ListImplementersInput, implementers.listImplementers, read),
  tool('launch_implementer', 'Use to start a claude or codex implementer (planner only).', launch.LaunchImplementerInput, launch.launchImplementer, { view: views.launched }),
  tool('implementer_reset', 'Use to stop all implementers and free their tasks and locks (planner only).', implementers.ResetImplementersInput, implementers.resetImplementers, {
    destructive: true,
    idempotent: true,
  }),
  tool('worktree_status', "Use to see a worktree's changes.", worktrees.WorktreeStatusInput, worktrees.getWorktreeStatus, read),
  tool('worktree_merge', "Use to merge an implementer's branch before approving (planner only).", worktrees.MergeWorktreeInput, worktrees.mergeWorktree),
  tool('worktree_list', 'Use to list worktrees and their branches.', worktrees.ListWorktreesInput, worktrees.listWorktrees, read),
  tool('worktree_cleanup', 'Use to remove worktrees of stopped implementers (planner only).', worktrees.CleanupWorktreesInput, worktrees.cleanupWorktrees, { destructive: true, idempotent: true }),
  tool('task_create', 'Use to add a task.', tasks.CreateTaskInput, tasks.createTask, { view: views.taskChange }),
  tool('task_claim', 'Use to take a given todo task.', tasks.ClaimTaskInput, tasks.claimTask, { ...same, view: views.taskClaim }),
  tool('task_claim_next', 'Use to take the best ready task.', claimNext.ClaimNextTaskInput, claimNext.claimNextTask, { view: views.taskClaimNext }),
  tool('task_update', 'Use to edit a task or change its status.', updates.UpdateTaskInput, updates.updateTask, { view: views.taskChange }),
  tool('task_list', 'Use to list tasks.', queries.ListTasksInput, queries.listTasks, read),
  tool('task_summary', 'Use for task counts.', queries.TaskSummaryInput, queries.taskSummary, read),
  tool('task_submit_for_review', 'Use when your task is ready for review.', reviews.SubmitForReviewInput, reviews.submitForReview, { view: views.taskSubmitted }),
  tool('task_approve', 'Use to accept a task in review (planner only).', reviews.ApproveTaskInput, reviews.approveTask, { ...same, view: views.taskChange }),
  tool('task_approve_batch', 'Use to accept several tasks in review (planner only).', reviews.ApproveBatchInput, reviews.approveBatch),
  tool('task_request_changes', 'Use to send a reviewed task back with feedback (planner only).', reviews.RequestChangesInput, reviews.requestChanges, { view: views.taskChange }),
  tool('lock_acquire', 'Use before editing files outside your task.', locks.AcquireLockInput, locks.acquireLock, { view: views.lockChange }),
  tool('lock_release', 'Use when done with a lock you took.', locks.ReleaseLockInput, locks.releaseLock, { ...same, view: views.lockChange }),
  tool('lock_list', 'Use to see held locks.', locks.ListLocksInput, locks.listLocks, read),
  tool('note_append', 'Use to tell all agents something.', notes.AppendNoteInput, notes.appendNote, { view: views.noteAdded }),
  tool('note_list', 'Use to read notes.', notes.ListNotesInput, notes.listNotes, read),
  tool('events_wait', 'Use when idle: waits for project events.', events.WaitEventsInput, events.waitEvents, read),
  tool('log_append', 'Use to log a custom event.', events.AppendLogInput, events.appendLog),
  tool('discussion_start', 'Use to ask another agent.', discussions.StartDiscussionInput, discussions.startDiscussion, { view: views.discussionChange }),
  tool('discussion_reply', 'Use to answer in a discussion.', discussions.ReplyDiscussionInput, discussions.replyDiscussion, { view: views.discussionChange }),
  tool('discussion_resolve', "Use to record a discussion's decision.", discussions.ResolveDiscussionInput, discussions.resolveDiscussion, { view: views.discussionChange }),
  tool('discussion_get', 'Use to read a discussion.', discussions.GetDiscussionInput, discussions.getDiscussion, read),
  tool('discussion_list', 'Use to find discussions.', discussions.ListDiscussionsInput, discussions.listDiscussions, read),
  tool('discussion_inbox', 'Use to see what waits on you.', discussions.DiscussionInboxInput, discussions.discussionInbox, read),
  tool('discussion_archive', 'Use to put a finished discussion away.', discussions.ArchiveDiscussionInput, discussions.archiveDiscussion, { ...same, view: views.discussionChange }),
  tool('discussion_cleanup', 'Use to archive and delete old discussions.', discussions.CleanupDiscussionsInput, discussions.cleanupDiscussions, { destructive: true }),
  tool('file_read', 'Use to read a file.', fileTools.FileReadInput, fileTools.readFileTool, read),
  tool('file_write', 'Use to write or append to a file.', fileTools.FileWriteInput, fileTools.writeFileTool),
  tool('artifact_read', 'Use to read a shared artifact.', artifacts.ArtifactReadInput, artifacts.readArtifact, read),
  tool('artifact_write', 'Use to share a text with all agents.', artifacts.ArtifactWriteInput, artifacts.writeArtifact),
  tool('command_run', 'Use to run a program (no shell).', commandTools.CommandRunInput, commandTools.runCommandTool),
  tool('tool_install', 'Use to run a package manager.', commandTools.ToolInstallInput, commandTools.installToolTool),
  tool('dashboard_open', 'Use to start the live dashboard and get its URL.', dashboard.OpenDashboardInput, dashboard.openDashboard, same),
]

const CORE = [
  'coordination_init',
  'status_get',
  'project_context_get',
  'task_list',
  'task_summary',
  'task_claim',
  'task_claim_next',
  'task_update',
  'task_submit_for_review',
  'lock_acquire',
  'lock_release',
  'lock_list',
  'note_append',
  'note_list',
  'events_wait',
  'discussion_start',
  'discussion_reply',
  'discussion_get',
  'discussion_inbox',
]

export const PROFILES: Record<Exclude<ToolProfile, 'all' | 'auto'>, string[]> = {
  core: CORE,
  implementer: [
    ...CORE,
    'task_create',
    'discussion_resolve',
    'discussion_list',
    'file_read',
    'file_write',
    'artifact_read',
    'artifact_write',
    'command_run',
    'tool_install',
    'log_append',
    'worktree_status',
  ],
  planner: [
    ...CORE,
    'task_create',
    'task_approve',
    'task_request_changes',
    'task_approve_batch',
    'project_context_set',
    'project_status_set',
    'launch_implementer',
    'implementer_list',
    'implementer_reset',
    'session_reset',
    'dashboard_open',
    'discussion_resolve',
    'discussion_list',
    'discussion_archive',
    'discussion_cleanup',
    'worktree_status',
    'worktree_merge',
    'worktree_list',
    'worktree_cleanup',
    'artifact_read',
    'artifact_write',
    'log_append',
  ],
}

/** The profile a session lists now: under `auto`, `core` until it registers, then its role's profile. */
export function activeProfile(settings: { tools: ToolProfile }, role: 'planner' | 'implementer' | undefined): Exclude<ToolProfile, 'auto'> {
  return settings.tools === 'auto' ? (role ?? 'core') : settings.tools
}

export function toolsFor(profile: Exclude<ToolProfile, 'auto'>): ToolDef[] {
  return profile === 'all' ? TOOLS : TOOLS.filter((item) => PROFILES[profile].includes(item.name))
}
