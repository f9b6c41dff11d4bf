import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one PostgreSQL server; each test file uses its own database/schema.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
