export * from './types.ts';
export * from './affiliation.ts';
export * from './login.ts';
export * from './clearance.ts';
export * from './names.ts';
export * from './autogroups.ts';
export * from './group-rule.ts';
export * from './group-membership.ts';
