import { Migration20261123_init } from './Migration20261123_init.ts';
import { Migration20261201_i12_browser_sessions } from './Migration20261201_i12_browser_sessions.ts';
import { Migration20261201_i14_leases } from './Migration20261201_i14_leases.ts';
import { Migration20261201_i17_group_policies } from './Migration20261201_i17_group_policies.ts';
import { Migration20261202_i17_removal_notices } from './Migration20261202_i17_removal_notices.ts';

/**
 * Every PostgreSQL migration, in order. A schema change adds a new class here (never edits an
 * old one); `npm run migrate` and every start apply what is pending, inside one transaction.
 */
export const sqlMigrations = [
  { name: 'Migration20261123_init', class: Migration20261123_init },
  { name: 'Migration20261201_i12_browser_sessions', class: Migration20261201_i12_browser_sessions },
  { name: 'Migration20261201_i14_leases', class: Migration20261201_i14_leases },
  { name: 'Migration20261201_i17_group_policies', class: Migration20261201_i17_group_policies },
  { name: 'Migration20261202_i17_removal_notices', class: Migration20261202_i17_removal_notices },
];
