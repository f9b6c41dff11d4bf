/** What the CLI reads and writes, injected so tests run `main` in-process. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width, when a terminal. */
  readonly columns?: number;
}

export interface CliIo {
  /** The arguments after the script name. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly cwd: string;
  /** All of stdin as text (`user import` without --file); absent where there is none. */
  readonly readStdin?: () => Promise<string>;
  /** Asks a question on the terminal and returns the answer (`import` before it writes). */
  readonly ask?: (question: string) => Promise<string>;
  /** The clock for relative times ("3m ago") and elapsed times. */
  readonly now?: () => Date;
}

/** 0 ok, 1 server or network error, 2 usage error (also input the server rejected), 3 unauthorized or forbidden. */
export const EXIT = { ok: 0, failed: 1, usage: 2, denied: 3 } as const satisfies Record<string, number>;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in the command line: printed with a pointer to the help, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The help topic to point at (`group list`), or '' for the top-level help. */
  readonly topic: string;
  constructor(message: string, topic = '') {
    super(message);
    this.topic = topic;
  }
}

/** A failure the CLI explains itself (no stack): printed as is, with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.failed) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const println = (out: Output, line = ''): void => void out.write(`${line}\n`);

export const printLines = (out: Output, lines: readonly string[]): void => {
  if (lines.length) out.write(`${lines.join('\n')}\n`);
};
