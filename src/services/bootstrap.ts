import type { EntityManager } from '@mikro-orm/core';
import { BUILTIN_SUPERUSERS, ROOT_CHARACTER_ID, SUPERUSER } from '../domain/index.ts';
import { Group, GroupMember, User } from '../store/entities/index.ts';
import { newId } from '../crypto.ts';
import { newUser } from '../store/records.ts';
import { inTransaction } from '../store/transaction.ts';

/**
 * Makes sure `root` (characterId 0, level 10, always allowed) and the `superusers` autogroup
 * (owned by root, root a member, mapped nowhere) exist. Idempotent; works on an empty database.
 */
export async function bootstrap(em: EntityManager): Promise<{ rootId: string }> {
  return inTransaction(em, async (tx) => {
    let root = await tx.findOne(User, { characterId: ROOT_CHARACTER_ID });
    if (!root) {
      root = newUser(tx, {
        characterId: ROOT_CHARACTER_ID,
        characterName: 'root',
        clearanceLevel: SUPERUSER,
        authorizedToLogin: true,
      });
    } else if (root.clearanceLevel !== SUPERUSER) {
      root.clearanceLevel = SUPERUSER;
    }
    const key = `builtin:${BUILTIN_SUPERUSERS}`;
    let group = await tx.findOne(Group, { autoKey: key });
    if (!group) {
      group = tx.create(Group, {
        id: newId(),
        name: BUILTIN_SUPERUSERS,
        description: 'Users of clearance 10',
        ownerId: root.id,
        kind: 'auto',
        autoKey: key,
        authorizedToLogin: null,
      });
    }
    await tx.flush();
    const membership = await tx.findOne(GroupMember, { groupId: group.id, userId: root.id });
    if (!membership) tx.create(GroupMember, { id: newId(), groupId: group.id, userId: root.id });
    await tx.flush();
    return { rootId: root.id };
  });
}
