import { ApiToken, AuditEntry, BrowserSession } from './auth.ts';
import { Alliance, Coalition, Corporation, User } from './directory.ts';
import { Group, GroupLeader, GroupMapping, GroupMember, GroupNotice, GroupRequest } from './groups.ts';
import { Challenge, TeamspeakLink } from './links.ts';
import { Lease, PendingRemoval, SyncRun, SyncSnapshot } from './sync.ts';

export * from './auth.ts';
export * from './directory.ts';
export * from './groups.ts';
export * from './links.ts';
export * from './sync.ts';

export const entities = [
  User,
  Corporation,
  Alliance,
  Coalition,
  Group,
  GroupMember,
  GroupMapping,
  GroupLeader,
  GroupRequest,
  GroupNotice,
  TeamspeakLink,
  Challenge,
  SyncRun,
  PendingRemoval,
  SyncSnapshot,
  Lease,
  ApiToken,
  AuditEntry,
  BrowserSession,
];
