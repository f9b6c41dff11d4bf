import { Migration } from '@mikro-orm/migrations';

/** Notice before removal (issue 17): a grace per group, and the notices given to members. */
export class Migration20261202_i17_removal_notices extends Migration {
  override name = 'Migration20261202_i17_removal_notices';

  override up(): void {
    this.addSql(`alter table "groups" add "removal_grace_hours" int null;`);
    this.addSql(
      `create table "group_notices" ("id" varchar(64) not null, "group_id" varchar(64) not null, "user_id" varchar(64) not null, "reason" text not null, "detail" text not null, "remove_at" timestamptz not null, "delivered_to" jsonb not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "group_notices" add constraint "group_notices_group_id_user_id_unique" unique ("group_id", "user_id");`,
    );
    this.addSql(`create index "group_notices_user_id_index" on "group_notices" ("user_id");`);
    this.addSql(
      `alter table "group_notices" add constraint "group_notices_reason_check" check ("reason" in ('rule', 'expiry', 'login'));`,
    );
  }
}
