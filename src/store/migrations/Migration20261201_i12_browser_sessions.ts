import { Migration } from '@mikro-orm/migrations';

/** Browser sessions of the member portal (issue 12): only the secret's hash is stored. */
export class Migration20261201_i12_browser_sessions extends Migration {
  override name = 'Migration20261201_i12_browser_sessions';

  override up(): void {
    this.addSql(
      `create table "browser_sessions" ("id" varchar(64) not null, "secret_hash" varchar(64) not null, "user_id" varchar(64) not null, "expires_at" timestamptz not null, "last_seen_at" timestamptz null, "revoked_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "browser_sessions" add constraint "browser_sessions_secret_hash_unique" unique ("secret_hash");`,
    );
    this.addSql(`create index "browser_sessions_user_id_index" on "browser_sessions" ("user_id");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "browser_sessions" cascade;`);
  }
}
