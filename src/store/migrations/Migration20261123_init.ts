import { Migration } from '@mikro-orm/migrations';

/** The initial directory schema (generated from the entities, then frozen). */
export class Migration20261123_init extends Migration {
  override name = 'Migration20261123_init';

  override up(): void {
    this.addSql(
      `create table "alliances" ("id" varchar(64) not null, "alliance_id" bigint not null, "name" varchar(100) not null, "ticker" varchar(10) not null, "executor_corporation_id" bigint null, "authorized_to_login" boolean null, "mandatory_esi_scopes" jsonb not null, "tracked" boolean not null, "refreshed_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "alliances" add constraint "alliances_alliance_id_unique" unique ("alliance_id");`,
    );
    this.addSql(
      `create table "api_tokens" ("id" varchar(64) not null, "secret_hash" varchar(64) not null, "user_id" varchar(64) not null, "kind" text not null, "comment" varchar(200) not null, "expires_at" timestamptz null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "api_tokens" add constraint "api_tokens_secret_hash_unique" unique ("secret_hash");`,
    );
    this.addSql(`create index "api_tokens_user_id_index" on "api_tokens" ("user_id");`);
    this.addSql(
      `alter table "api_tokens" add constraint "api_tokens_kind_check" check ("kind" in ('application', 'user'));`,
    );
    this.addSql(
      `create table "audit_log" ("id" varchar(64) not null, "at" timestamptz not null, "actor_id" varchar(64) null, "action" varchar(100) not null, "subject" varchar(200) not null, "before" jsonb null, "after" jsonb null, "request_id" varchar(64) null, primary key ("id"));`,
    );
    this.addSql(`create index "audit_log_at_index" on "audit_log" ("at");`);
    this.addSql(
      `create table "challenges" ("id" varchar(64) not null, "kind" text not null, "secret_hash" varchar(64) not null, "user_id" varchar(64) null, "target" varchar(64) null, "data" jsonb not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "challenges" add constraint "challenges_secret_hash_unique" unique ("secret_hash");`,
    );
    this.addSql(`create index "challenges_user_id_kind_index" on "challenges" ("user_id", "kind");`);
    this.addSql(
      `alter table "challenges" add constraint "challenges_kind_check" check ("kind" in ('teamspeak-nickname', 'discord-code', 'discord-oauth', 'sso-login'));`,
    );
    this.addSql(
      `create table "coalitions" ("id" varchar(64) not null, "name" varchar(100) not null, "ticker" varchar(10) not null, "description" text not null, "alliance_ids" jsonb not null, "corporation_ids" jsonb not null, "authorized_to_login" boolean null, "mandatory_esi_scopes" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "coalitions" add constraint "coalitions_name_unique" unique ("name");`);
    this.addSql(`alter table "coalitions" add constraint "coalitions_ticker_unique" unique ("ticker");`);
    this.addSql(
      `create table "corporations" ("id" varchar(64) not null, "corporation_id" bigint not null, "name" varchar(100) not null, "ticker" varchar(10) not null, "ceo_character_id" bigint null, "alliance_id" bigint null, "authorized_to_login" boolean null, "mandatory_esi_scopes" jsonb not null, "tracked" boolean not null, "refreshed_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "corporations" add constraint "corporations_corporation_id_unique" unique ("corporation_id");`,
    );
    this.addSql(`create index "corporations_alliance_id_index" on "corporations" ("alliance_id");`);
    this.addSql(
      `create table "groups" ("id" varchar(64) not null, "name" varchar(100) not null, "description" text not null, "owner_id" varchar(64) null, "kind" text not null, "auto_key" varchar(100) null, "authorized_to_login" boolean null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "groups" add constraint "groups_name_unique" unique ("name");`);
    this.addSql(`alter table "groups" add constraint "groups_auto_key_unique" unique ("auto_key");`);
    this.addSql(
      `alter table "groups" add constraint "groups_kind_check" check ("kind" in ('manual', 'auto'));`,
    );
    this.addSql(
      `create table "group_mappings" ("id" varchar(64) not null, "group_id" varchar(64) not null, "platform" text not null, "target" varchar(64) not null, "platform_group_id" varchar(32) null, "display_name" varchar(100) null, "mode" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "group_mappings_platform_target_index" on "group_mappings" ("platform", "target");`,
    );
    this.addSql(
      `alter table "group_mappings" add constraint "group_mappings_group_id_platform_target_unique" unique ("group_id", "platform", "target");`,
    );
    this.addSql(
      `alter table "group_mappings" add constraint "group_mappings_platform_check" check ("platform" in ('teamspeak', 'discord'));`,
    );
    this.addSql(
      `alter table "group_mappings" add constraint "group_mappings_mode_check" check ("mode" in ('managed', 'grantOnly'));`,
    );
    this.addSql(
      `create table "group_members" ("id" varchar(64) not null, "group_id" varchar(64) not null, "user_id" varchar(64) not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "group_members_user_id_index" on "group_members" ("user_id");`);
    this.addSql(
      `alter table "group_members" add constraint "group_members_group_id_user_id_unique" unique ("group_id", "user_id");`,
    );
    this.addSql(
      `create table "leases" ("id" varchar(64) not null, "holder" varchar(64) not null, "until" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create table "pending_removals" ("id" varchar(64) not null, "platform" text not null, "target" varchar(64) not null, "platform_group_id" varchar(32) not null, "account_id" varchar(32) not null, "first_planned_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "pending_removals" add constraint "pending_removals_platform_target_platform_group_i_866a5_unique" unique ("platform", "target", "platform_group_id", "account_id");`,
    );
    this.addSql(
      `alter table "pending_removals" add constraint "pending_removals_platform_check" check ("platform" in ('teamspeak', 'discord'));`,
    );
    this.addSql(
      `create table "sync_runs" ("id" varchar(64) not null, "platform" text not null, "target" varchar(64) not null, "status" text not null, "dry_run" boolean not null, "forced" boolean not null, "trigger" varchar(64) not null, "started_at" timestamptz not null, "finished_at" timestamptz null, "creates" int not null, "renames" int not null, "adds" int not null, "removes" int not null, "nicknames" int not null, "held_removals" int not null, "drift" int not null, "skipped" jsonb not null, "calls_issued" int not null, "errors" jsonb not null, "refused_reason" text null, "managed_memberships" int not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "sync_runs_platform_target_started_at_index" on "sync_runs" ("platform", "target", "started_at");`,
    );
    this.addSql(
      `alter table "sync_runs" add constraint "sync_runs_platform_check" check ("platform" in ('teamspeak', 'discord'));`,
    );
    this.addSql(
      `alter table "sync_runs" add constraint "sync_runs_status_check" check ("status" in ('running', 'applied', 'planned', 'refused', 'failed'));`,
    );
    this.addSql(
      `create table "sync_snapshots" ("id" varchar(64) not null, "members" jsonb not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create table "teamspeak_links" ("id" varchar(64) not null, "user_id" varchar(64) not null, "target" varchar(64) not null, "client_db_id" varchar(20) not null, "unique_id" varchar(64) not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "teamspeak_links" add constraint "teamspeak_links_target_client_db_id_unique" unique ("target", "client_db_id");`,
    );
    this.addSql(
      `alter table "teamspeak_links" add constraint "teamspeak_links_target_unique_id_unique" unique ("target", "unique_id");`,
    );
    this.addSql(
      `alter table "teamspeak_links" add constraint "teamspeak_links_user_id_target_unique" unique ("user_id", "target");`,
    );
    this.addSql(
      `create table "users" ("id" varchar(64) not null, "character_id" bigint not null, "character_name" varchar(100) not null, "corporation_id" bigint null, "clearance_level" int not null, "authorized_to_login" boolean null, "discord_user_id" varchar(32) null, "esi_scopes" jsonb not null, "refresh_token" text null, "refresh_token_valid" boolean null, "last_login_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_character_id_unique" unique ("character_id");`);
    this.addSql(`create index "users_corporation_id_index" on "users" ("corporation_id");`);
    this.addSql(
      `alter table "users" add constraint "users_discord_user_id_unique" unique ("discord_user_id");`,
    );
  }
}
