import {
  createTRPCClient,
  createTRPCUntypedClient,
  httpLink,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import type { AppRouter } from '../api/router.ts';
import { EXIT, type ExitCode } from './io.ts';
import type { Settings } from './settings.ts';

export type TypedClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/** The typed client where the CLI knows the procedure (status, sync), the untyped one for paths read at run time. */
export interface Clients {
  readonly typed: TypedClient;
  call(type: 'query' | 'mutation', path: string, input: unknown): Promise<unknown>;
}

export function createClients(settings: Settings): Clients {
  const links = (): TRPCLink<AppRouter>[] => [
    httpLink({
      url: `${settings.url}/trpc`,
      headers: () => (settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
    }),
  ];
  const untyped = createTRPCUntypedClient<AppRouter>({ links: links() });
  return {
    typed: createTRPCClient<AppRouter>({ links: links() }),
    call: (type, path, input) =>
      type === 'query' ? untyped.query(path, input) : untyped.mutation(path, input),
  };
}

/** The `data` the daemon's error formatter sends (src/api/trpc.ts). */
interface ErrorData {
  readonly code?: string;
  readonly httpStatus?: number;
  readonly requestId?: string | null;
  readonly issues?: readonly { path: readonly string[]; message: string }[];
}

export interface Explained {
  readonly exitCode: ExitCode;
  readonly lines: readonly string[];
}

/**
 * What a failed call means for a person, and the exit code: input the server rejected is a usage
 * error (one `key: message` line per problem), a refused token is 3, anything else 1.
 */
export function explainError(error: unknown, settings: Settings): Explained | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = (error.data ?? null) as ErrorData | null;
  if (!data?.code) return explainTransport(error, settings);
  const requestId = data.requestId ? ` (request id ${data.requestId})` : '';
  switch (data.code) {
    case 'UNAUTHORIZED':
    case 'TOO_MANY_REQUESTS': {
      const hint = settings.token
        ? `the token from ${settings.tokenSource} was refused`
        : `no token: set ROSTER_TOKEN or put { "url": ..., "token": ... } in ${settings.file}; a first token: rosterctl token create --root (on the daemon's host)`;
      return { exitCode: EXIT.denied, lines: [`unauthorized: ${error.message}`, hint] };
    }
    case 'FORBIDDEN':
      return { exitCode: EXIT.denied, lines: [`forbidden: ${error.message}`] };
    case 'BAD_REQUEST':
    case 'PARSE_ERROR':
      if (data.issues?.length) {
        return {
          exitCode: EXIT.usage,
          lines: [
            'the daemon rejected the input:',
            ...data.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`),
          ],
        };
      }
      return { exitCode: EXIT.usage, lines: [`rejected: ${error.message}`] };
    case 'NOT_FOUND':
      return { exitCode: EXIT.usage, lines: [`not found: ${error.message}${requestId}`] };
    case 'CONFLICT':
      return { exitCode: EXIT.failed, lines: [`conflict: ${error.message}${requestId}`] };
    default:
      return {
        exitCode: EXIT.failed,
        lines: [`${data.code.toLowerCase().replaceAll('_', ' ')}: ${error.message}${requestId}`],
      };
  }
}

/** No tRPC error shape: the daemon was not reached, or something else answered. */
function explainTransport(error: TRPCClientError<AppRouter>, settings: Settings): Explained {
  const cause = error.cause as (Error & { cause?: { code?: string; message?: string } }) | undefined;
  const reason = cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? error.message;
  if (cause instanceof TypeError || cause?.cause?.code) {
    return {
      exitCode: EXIT.failed,
      lines: [
        `cannot reach the daemon at ${settings.url}: ${reason}`,
        'is it running? set ROSTER_URL (or "url" in the settings file) if it listens elsewhere',
      ],
    };
  }
  return { exitCode: EXIT.failed, lines: [`unexpected answer from ${settings.url}/trpc: ${error.message}`] };
}
