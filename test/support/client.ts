import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../../src/api/router.ts';

export type RosterClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/** A typed tRPC client of a running control plane; without a token it is anonymous. */
export function rosterClient(url: string, token?: string): RosterClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({ url: `${url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) }),
    ],
  });
}
