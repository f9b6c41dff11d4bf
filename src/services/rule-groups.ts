import type { EntityManager } from '@mikro-orm/core';
import {
  affiliationOf,
  failingClause,
  manualGroupNameProblem,
  ruleCycle,
  type Affiliation,
} from '../domain/index.ts';
import { loadDirectory } from '../store/directory.ts';
import { Group } from '../store/entities/index.ts';
import { ConflictError, NotFoundError, RuleViolationError } from '../domain/errors.ts';
import { newId } from '../crypto.ts';
import { asConflict } from '../store/errors.ts';
import { ruleGroupSpecs } from './rule-group-rebuild.ts';
import { loadAccess, requireOverGroup, storedRule, validateRule, type Caller } from './group-access.ts';
import { writeChange, type Audit, type UseCaseContext } from './use-case.ts';

/**
 * Rule-built groups: their members are the users their rule matches, rebuilt with the autogroups
 * (services/autogroups.ts). People create them and change their rule; nobody edits their members.
 * Each use case writes the change and its audit entry in one transaction, then asks for the
 * rebuild that applies the rule (and the syncs after it).
 */

const subject = (groupId: string) => `group:${groupId}`;

export interface NewRuleGroup {
  readonly name: string;
  readonly description: string;
  /** A GroupRule as JSON, validated clause by clause. */
  readonly rule: unknown;
}

/** Creates a rule-built group owned by the caller. */
export async function createRuleGroup(app: UseCaseContext, caller: Caller, input: NewRuleGroup) {
  const name = input.name.trim();
  const problem = manualGroupNameProblem(name);
  if (problem) throw new RuleViolationError(problem);
  const created = await writeChange(app.db, app.author, (em, audit) =>
    insertRuleGroup(em, audit, caller, name, input),
  );
  await app.notifier.directoryChanged('ruleGroup.create');
  return created;
}

async function insertRuleGroup(
  em: EntityManager,
  audit: Audit,
  caller: Caller,
  name: string,
  input: NewRuleGroup,
) {
  const rule = await validateRule(em, input.rule, 'rule');
  if (await em.findOne(Group, { name }, { fields: ['id'] }))
    throw new ConflictError(`a group named "${name}" already exists`);
  const group = em.create(Group, {
    id: newId(),
    name,
    description: input.description,
    ownerId: caller.userId,
    kind: 'rule',
    autoKey: null,
    authorizedToLogin: null,
    rule: rule as unknown as Record<string, unknown>,
  });
  audit({
    action: 'ruleGroup.create',
    subject: subject(group.id),
    after: { name, description: input.description, rule },
  });
  try {
    await em.flush();
  } catch (error) {
    throw asConflict(error, `a group named "${name}" already exists`);
  }
  return ruleGroupView(group);
}

/** The owner (or an admin) replaces the rule; a rule that would read itself through others is refused. */
export async function setRule(app: UseCaseContext, caller: Caller, groupId: string, input: unknown) {
  const updated = await writeChange(app.db, app.author, (em, audit) =>
    replaceRule(em, audit, caller, groupId, input),
  );
  await app.notifier.directoryChanged('ruleGroup.setRule');
  return updated;
}

async function replaceRule(em: EntityManager, audit: Audit, caller: Caller, groupId: string, input: unknown) {
  const access = await loadAccess(em, groupId);
  await requireOverGroup(em, caller, 'group.configure', access);
  const { group } = access;
  if (group.kind !== 'rule')
    throw new RuleViolationError(
      `"${group.name}" is a ${group.kind} group: only rule-built groups have a rule (see ruleGroup.create)`,
    );
  const rule = await validateRule(em, input, 'rule');
  const { specs } = await ruleGroupSpecs(em);
  const cycle = ruleCycle(specs, group.id, rule);
  if (cycle) {
    const names = await em.find(Group, { id: { $in: [...cycle] } }, { fields: ['id', 'name'] });
    const nameOf = (id: string) => `"${names.find((g) => g.id === id)?.name ?? id}"`;
    throw new RuleViolationError(
      `rule: its memberOf clauses would make rule-built groups read each other in a circle (${cycle.map(nameOf).join(' -> ')})`,
    );
  }
  const before = group.rule ?? null;
  group.rule = rule as unknown as Record<string, unknown>;
  audit({
    action: 'ruleGroup.setRule',
    subject: subject(groupId),
    before: { rule: before },
    after: { rule },
  });
  await em.flush();
  return ruleGroupView(group);
}

function ruleGroupView(group: Group) {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    kind: group.kind,
    ownerId: group.ownerId ?? null,
    rule: storedRule(group.rule),
  };
}

export async function getRuleGroup(em: EntityManager, groupId: string) {
  const group = await em.findOne(Group, { id: groupId, kind: 'rule' });
  if (!group) throw new NotFoundError('rule-built group', groupId);
  return ruleGroupView(group);
}

export interface RuleExplanation {
  readonly groupId: string;
  readonly groupName: string;
  readonly userId: string;
  /** Whether the user is a member now (as last rebuilt). */
  readonly member: boolean;
  /** Whether the rule matches the user now: the next rebuild makes `member` equal to it. */
  readonly matches: boolean;
  /** The clause the user fails (`all[1].clearance`) and why, or null when the rule matches. */
  readonly failing: { readonly path: string; readonly reason: string } | null;
  readonly detail: string;
}

/**
 * Why a user is, or is not, in a rule-built group: the clause they fail and why. The rule reads
 * the memberships as stored (the last rebuild's), as the next rebuild will.
 */
export async function explainRuleGroup(
  em: EntityManager,
  groupId: string,
  userId: string,
): Promise<{ affiliation: Affiliation; explanation: RuleExplanation }> {
  const group = await em.findOne(Group, { id: groupId, kind: 'rule' });
  if (!group) throw new NotFoundError('rule-built group', groupId);
  const dir = await loadDirectory(em);
  const user = dir.users.get(userId);
  if (!user) throw new NotFoundError('user', userId);
  const rule = storedRule(group.rule);
  const failed = rule
    ? failingClause(rule, user, { dir, now: new Date() })
    : { path: 'the rule', reason: 'the group has no valid rule' };
  const member = dir.groupsOfUser.get(userId)?.has(groupId) ?? false;
  const detail = failed
    ? `fails clause ${failed.path}: ${failed.reason}${member ? ' (the next rebuild removes them)' : ''}`
    : `matches the rule${member ? '' : ' (the next rebuild adds them)'}`;
  return {
    affiliation: affiliationOf(user, dir),
    explanation: {
      groupId,
      groupName: group.name,
      userId,
      member,
      matches: failed === null,
      failing: failed,
      detail,
    },
  };
}
