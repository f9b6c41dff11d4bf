import { allianceRouter } from './routers/alliance.ts';
import { auditRouter } from './routers/audit.ts';
import { authRouter } from './routers/auth.ts';
import { coalitionRouter } from './routers/coalition.ts';
import { corporationRouter } from './routers/corporation.ts';
import { discordRouter } from './routers/discord.ts';
import { groupRouter } from './routers/group.ts';
import { membershipRouter } from './routers/membership.ts';
import { ruleGroupRouter } from './routers/rule-group.ts';
import { syncRouter } from './routers/sync.ts';
import { systemRouter } from './routers/system.ts';
import { teamspeakRouter } from './routers/teamspeak.ts';
import { tokenRouter } from './routers/token.ts';
import { userRouter } from './routers/user.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  system: systemRouter,
  group: groupRouter,
  membership: membershipRouter,
  ruleGroup: ruleGroupRouter,
  sync: syncRouter,
  token: tokenRouter,
  user: userRouter,
  corporation: corporationRouter,
  alliance: allianceRouter,
  coalition: coalitionRouter,
  audit: auditRouter,
  teamspeak: teamspeakRouter,
  discord: discordRouter,
  auth: authRouter,
});

export type AppRouter = typeof appRouter;
