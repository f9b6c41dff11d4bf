/** Loads what "My account" shows, through the same application functions tRPC calls. */
import type { EntityManager } from '@mikro-orm/core';
import { describeLoginDecision, loginDecisionOf } from '../services/access.ts';
import { discordLinkStatus } from '../services/links/discord.ts';
import { teamspeakLinkStatus } from '../services/links/teamspeak.ts';
import { describeUser } from '../services/users.ts';
import type { User } from '../store/entities/index.ts';
import { explain } from '../sync/explain.ts';
import type { WebDeps } from './deps.ts';
import type { AccountView } from './pages/account.ts';

export interface JustStarted {
  /** A TeamSpeak link nickname just made, shown once. */
  readonly teamspeak?: { readonly target: string; readonly nickname: string } | undefined;
  readonly discordCode?:
    | { readonly target: string; readonly code: string; readonly command: string; readonly expiresAt: Date }
    | undefined;
}

export async function loadAccountView(
  deps: WebDeps,
  em: EntityManager,
  user: User,
  just: JustStarted = {},
): Promise<AccountView> {
  const graceMs = deps.config.sync.removalGraceMinutes * 60_000;
  const targets = [
    ...deps.config.teamspeak.targets.map((t) => ({ platform: 'teamspeak' as const, target: t.name })),
    ...deps.config.discord.targets.map((t) => ({ platform: 'discord' as const, target: t.name })),
  ];
  const [details, decision, teamspeak, discord] = await Promise.all([
    describeUser(em.fork(), user),
    loginDecisionOf(em.fork(), user),
    teamspeakLinkStatus(em.fork(), user.id),
    discordLinkStatus(em.fork(), user.id),
  ]);
  const explanations = [];
  for (const t of targets) {
    const result = await explain(em.fork(), user.id, t.platform, t.target, graceMs);
    explanations.push({ ...t, groups: result.groups });
  }
  return {
    user: details,
    login: { allowed: decision.allowed, words: describeLoginDecision(decision) },
    explanations,
    teamspeak: deps.config.teamspeak.targets.map((t) => {
      const link = teamspeak.links.find((l) => l.target === t.name);
      const pending = teamspeak.pending.find((p) => p.target === t.name);
      const nickname = just.teamspeak?.target === t.name ? just.teamspeak.nickname : null;
      return {
        target: t.name,
        link: link ? { uniqueId: link.uniqueId, linkedAt: link.linkedAt } : null,
        pending: pending ? { expiresAt: pending.expiresAt, nickname } : null,
      };
    }),
    discord: deps.config.discord.targets.map((t) => {
      const pending = discord.pending.find((p) => p.target === t.name);
      return {
        target: t.name,
        oauth: Boolean(t.oauthClientId && t.oauthClientSecret),
        code: Boolean(t.interactionPublicKey),
        pending: pending ? { method: pending.method, expiresAt: pending.expiresAt } : null,
        newCode: just.discordCode?.target === t.name ? just.discordCode : null,
      };
    }),
    discordUserId: discord.discordUserId,
  };
}
