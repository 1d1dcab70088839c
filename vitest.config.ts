import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'

/** End-to-end files run against the production build, which tests/support/build.ts makes once. */
const e2e = (name: string, include: string[], env: Record<string, string>, exclude: string[] = []): TestProjectInlineConfiguration => ({
  test: {
    name,
    include,
    exclude,
    env,
    environment: 'node',
    globalSetup: ['tests/support/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})

// The API suites that talk to the database run once per backend.
const apiSuites = ['tests/e2e/auth.test.ts', 'tests/e2e/login-throttle.test.ts', 'tests/e2e/logout.test.ts', 'tests/e2e/multi-instance.test.ts', 'tests/e2e/session-cleanup.test.ts', 'tests/e2e/scheduled-cleanup.test.ts', 'tests/e2e/sessions.test.ts', 'tests/e2e/security-activity.test.ts', 'tests/e2e/password-reset.test.ts', 'tests/e2e/password-reset-throttle.test.ts', 'tests/e2e/migrations.test.ts', 'tests/e2e/session-standard.test.ts', 'tests/e2e/account.test.ts']

// Files that need PostgreSQL whatever the backend: run in the PostgreSQL project only.
const postgresOnly = ['tests/e2e/vercel.test.ts', 'tests/e2e/postgres-faults.test.ts', 'tests/e2e/postgres-round-trips.test.ts', 'tests/e2e/postgres-stale-statements.test.ts']

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      e2e('e2e', ['tests/e2e/**/*.test.ts'], { TEST_BACKEND: 'sqlite' }, postgresOnly),
      e2e('e2e-postgres', [...apiSuites, ...postgresOnly], { TEST_BACKEND: 'postgres' }),
    ],
  },
})
