import { Migration } from '@mikro-orm/migrations';

/**
 * Leases that follow liveness: a lease says since when its holder has it, a run names the daemon
 * that ran it, and a run whose daemon died is closed as `abandoned`.
 */
export class Migration20261201_i14_leases extends Migration {
  override name = 'Migration20261201_i14_leases';

  override up(): void {
    this.addSql(`alter table "leases" add column "since" timestamptz null;`);
    this.addSql(`alter table "sync_runs" add column "holder" varchar(64) null;`);
    this.addSql(`alter table "sync_runs" drop constraint "sync_runs_status_check";`);
    this.addSql(
      `alter table "sync_runs" add constraint "sync_runs_status_check" check ("status" in ('running', 'applied', 'planned', 'refused', 'failed', 'abandoned'));`,
    );
  }
}
