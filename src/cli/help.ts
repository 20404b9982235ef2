export const HELP = `code-interpreter-bot: run Python in the bot's sandbox from a terminal.

Usage:
  code-interpreter-bot exec [options] [CODE]
      Runs CODE (or --file PATH, or standard input) in a sandbox session and prints the
      result. Without --session the sandbox is thrown away afterwards.
      --session NAME    use (or create) the named session; its variables, imports and
                        files in /mnt/data persist between invocations until closed
      --file PATH       read the code from a file ('-' for standard input)
      --timeout SEC     time limit for this run (default: SANDBOX_TIMEOUT_SECONDS, 120)
      --out DIR         save images (image-1.png, …) and the files the code created or
                        changed in /mnt/data into DIR; never overwrites, never follows links
      --json            print one JSON object: status, stdout, stderr, error, result,
                        images, files, durationMs, notices
  code-interpreter-bot sessions [--json]
      Lists the named sessions and their containers.
  code-interpreter-bot close NAME
      Closes a named session: its container, variables and files are removed.
  code-interpreter-bot --help

Status and exit codes:
  ok (exit 0); error, timeout, oom, crashed, cancelled (exit 1);
  bad usage (exit 2); the sandbox could not run at all, e.g. Docker is down (exit 3).

Configuration comes from the environment (see .env.example), e.g. SANDBOX_MEMORY_MB,
SANDBOX_TIMEOUT_SECONDS, DOCKER_HOST. Logs go to standard error (LOG_LEVEL=warn by default here).
`;
