import { z } from 'zod';
import { listAudit } from '../../services/audit.ts';
import { pageInput } from '../../services/pagination.ts';
import { id } from '../inputs.ts';
import { router, scoped } from '../trpc.ts';

export const auditRouter = router({
  /** The audit log, newest first, filtered by who (actorId), what (action, e.g. `group.update`) or on what (subject, e.g. `user:<id>`). */
  list: scoped('audit.read')
    .input(
      pageInput
        .extend({
          actorId: id.optional(),
          action: z.string().min(1).max(100).optional(),
          subject: z.string().min(1).max(200).optional(),
        })
        .prefault({}),
    )
    .query(({ ctx, input }) => listAudit(ctx.deps.db.fork(), input)),
});
