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
  code-interpreter-bot ask [options] PROMPT
      Runs the whole agent with the configured model (OPENAI_API_KEY, OPENAI_BASE_URL,
      OPENAI_MODEL): progress as it goes, then the answer. Use it to check a model set-up
      without any chat platform.
      --conversation NAME  continue a named conversation (history in the database,
                           variables and files in its sandbox) across invocations
      --attach FILE        copy a file into /mnt/data first (repeatable)
      --out DIR            save the images and files the code produces into DIR
      --json               print one JSON transcript: status, messages, codeRuns,
                           images, files, notices, errors
  code-interpreter-bot sessions [--json]
      Lists the named sessions: running, stopped or suspended, what is kept of them on
      disk, and when they were last used.
  code-interpreter-bot suspend NAME
      Suspends a named session now: its container is removed, its files and variables are
      kept, and the next exec --session NAME resumes it.
  code-interpreter-bot close NAME
      Closes a named session: its container, variables and files are removed.
  code-interpreter-bot usage [--since 7d] [--by user|conversation|day] [--json]
      What the bot was used for: requests, model calls, tokens in and out, code runs,
      sandbox seconds, files in and out, and an estimated cost (from
      PRICE_INPUT_PER_MILLION and PRICE_OUTPUT_PER_MILLION), with totals. Reads the
      database only: Docker need not be running.
      --since WHEN      24h, 7d, 30d, 2w, or a date such as 2025-05-01 (UTC); default 7d
      --by WHAT         user (default), conversation, or day (UTC)
      --json            print one JSON object: since, by, prices, rows, totals, unfinished
  code-interpreter-bot libraries [--json]
      What the sandbox image has installed: Python libraries by purpose with their
      versions, programs (ffmpeg, tesseract, LibreOffice, …), seaborn's offline datasets,
      what is deliberately missing and what to use instead, and every Python distribution.
      The model's system prompt is written from the same list.
  code-interpreter-bot --help

Status and exit codes:
  ok (exit 0); error, timeout, oom, crashed, cancelled (exit 1);
  bad usage (exit 2); the sandbox could not run at all, e.g. Docker is down (exit 3).

Configuration comes from the environment (see .env.example), e.g. SANDBOX_MEMORY_MB,
SANDBOX_TIMEOUT_SECONDS, DOCKER_HOST. Logs go to standard error (LOG_LEVEL=warn by default here).
`;
