/** `sessions` and `close NAME`: the named sessions an admin made with `exec --session`. */
import type { SandboxManager } from "../sandbox/session-manager.ts";
import type { CliIo } from "./exec-command.ts";
import { UsageError } from "./usage-error.ts";

export async function sessionsCommand(args: string[], manager: SandboxManager, io: CliIo): Promise<number> {
  const sessions = await manager.list();
  if (args.includes("--json")) {
    io.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
    return 0;
  }
  if (sessions.length === 0) {
    io.stdout.write("No sessions. Start one with: code-interpreter-bot exec --session NAME 'x = 1'\n");
    return 0;
  }
  for (const s of sessions) {
    io.stdout.write(
      `${s.sessionKey}\t${s.running ? "running" : "stopped"}\t${s.status}\tsince ${s.createdAt}\t${s.name}\n`,
    );
  }
  return 0;
}

export async function closeCommand(args: string[], manager: SandboxManager, io: CliIo): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1) throw new UsageError("close takes one session NAME");
  const closed = await manager.close(name);
  io.stdout.write(closed ? `Closed session ${name}.\n` : `No session named ${name}.\n`);
  return closed ? 0 : 1;
}
