/** `sessions`, `suspend NAME` and `close NAME`: the named sessions an admin made with `exec --session`. */
import { humanSize } from "../files/human-size.ts";
import type { SandboxManager } from "../sandbox/session-manager.ts";
import type { CliIo } from "./exec-command.ts";
import { UsageError } from "./usage-error.ts";

export async function sessionsCommand(args: string[], manager: SandboxManager, io: CliIo): Promise<number> {
  const sessions = await manager.describe();
  if (args.includes("--json")) {
    io.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
    return 0;
  }
  if (sessions.length === 0) {
    io.stdout.write("No sessions. Start one with: code-interpreter-bot exec --session NAME 'x = 1'\n");
    return 0;
  }
  io.stdout.write("NAME\tSTATE\tKEPT\tLAST USED\tCONTAINER\tHOST\n");
  for (const s of sessions) {
    io.stdout.write(
      `${s.key}\t${s.state}\t${humanSize(s.keptBytes)}\t${s.lastUsed}\t${s.container ?? "-"}\t${s.host ?? "-"}\n`,
    );
  }
  return 0;
}

export async function suspendCommand(args: string[], manager: SandboxManager, io: CliIo): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1) throw new UsageError("suspend takes one session NAME");
  const suspended = await manager.suspend(name);
  io.stdout.write(
    suspended
      ? `Suspended session ${name}: its container is gone, its files and variables are kept; the next exec --session ${name} resumes it.\n`
      : `Session ${name} has no running container to suspend.\n`,
  );
  return suspended ? 0 : 1;
}

export async function closeCommand(args: string[], manager: SandboxManager, io: CliIo): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1) throw new UsageError("close takes one session NAME");
  const closed = await manager.close(name);
  io.stdout.write(closed ? `Closed session ${name}.\n` : `No session named ${name}.\n`);
  return closed ? 0 : 1;
}
