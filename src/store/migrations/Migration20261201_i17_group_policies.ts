import { Migration } from '@mikro-orm/migrations';

/**
 * Groups people run themselves (issue 17): join policies, eligibility and join links on groups,
 * rule-built groups (kind `rule`), leaders, join requests, expiring memberships, and the time a
 * user is known to be in their corporation. Existing groups stay `closed` (what they were).
 */
export class Migration20261201_i17_group_policies extends Migration {
  override name = 'Migration20261201_i17_group_policies';

  override up(): void {
    this.addSql(
      `create table "group_leaders" ("id" varchar(64) not null, "group_id" varchar(64) not null, "leader_kind" text not null, "leader_id" varchar(64) not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "group_leaders_leader_id_index" on "group_leaders" ("leader_id");`);
    this.addSql(
      `alter table "group_leaders" add constraint "group_leaders_group_id_leader_kind_leader_id_unique" unique ("group_id", "leader_kind", "leader_id");`,
    );
    this.addSql(
      `alter table "group_leaders" add constraint "group_leaders_leader_kind_check" check ("leader_kind" in ('user', 'group'));`,
    );
    this.addSql(
      `create table "group_requests" ("id" varchar(64) not null, "group_id" varchar(64) not null, "user_id" varchar(64) not null, "status" text not null, "message" text not null, "decided_by" varchar(64) null, "decision_reason" text null, "decided_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "group_requests_group_id_status_index" on "group_requests" ("group_id", "status");`,
    );
    this.addSql(`create index "group_requests_user_id_index" on "group_requests" ("user_id");`);
    this.addSql(
      `alter table "group_requests" add constraint "group_requests_status_check" check ("status" in ('pending', 'approved', 'denied', 'withdrawn'));`,
    );
    this.addSql(`alter table "groups" drop constraint "groups_kind_check";`);
    this.addSql(
      `alter table "groups" add constraint "groups_kind_check" check ("kind" in ('manual', 'auto', 'rule'));`,
    );
    this.addSql(
      `alter table "groups" add "join_policy" text not null default 'closed', add "eligibility" jsonb null, add "rule" jsonb null, add "join_link_hash" varchar(64) null;`,
    );
    this.addSql(
      `alter table "groups" add constraint "groups_join_policy_check" check ("join_policy" in ('closed', 'open', 'request', 'hidden'));`,
    );
    this.addSql(`alter table "group_members" add "expires_at" timestamptz null;`);
    this.addSql(`alter table "users" add "corporation_since" timestamptz null;`);
  }
}
