import { groupRouter } from './routers/group.ts';
import { syncRouter } from './routers/sync.ts';
import { systemRouter } from './routers/system.ts';
import { tokenRouter } from './routers/token.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  system: systemRouter,
  group: groupRouter,
  sync: syncRouter,
  token: tokenRouter,
});

export type AppRouter = typeof appRouter;
