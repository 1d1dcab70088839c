// `npm run bench`: builds the auth app and a bare Nuxt app, measures them over loopback with
// autocannon, prints a table and writes bench/results/latest.json. See docs/benchmarks.md.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPostgresDatabase, openPostgresSeeder, openSqliteSeeder } from './database.mjs'
import { startLoadGenerator } from './load-client.mjs'
import { evaluateTargets, formatReport } from './report.mjs'
import { benchBackend, benchColdStart, benchPages, captureSignedInMarkup } from './suite.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
process.chdir(root)

const env = process.env
const config = {
  /** Seconds per throughput run. */
  duration: Number(env.BENCH_DURATION || 5),
  connections: Number(env.BENCH_CONNECTIONS || 50),
  /** Logouts per table-size run, each ending a different session. */
  logouts: Number(env.BENCH_LOGOUTS || 20000),
  /** Distinct valid sessions the /me runs cycle through. */
  mePool: Number(env.BENCH_ME_POOL || 10000),
  sizes: (env.BENCH_SIZES || '1000,100000,1000000').split(',').map(Number),
  /** Rounds (a baseline, then the route) of each table-size figure. */
  rounds: Number(env.BENCH_ROUNDS || 3),
  /** Alternating runs of the signed-in page and the bare page, each. */
  pageRounds: Number(env.BENCH_PAGE_ROUNDS || 3),
  coldRuns: Number(env.BENCH_COLD_RUNS || 7),
  postgresUrl: env.BENCH_SKIP_PG === '1' ? null : env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
}
const log = message => console.error(`[bench] ${message}`)

// BENCH_SKIP_BUILD=1 reuses the builds there are; one that is missing is made all the same
// (rather than found missing after the table runs).
const skipBuild = env.BENCH_SKIP_BUILD === '1'
if (!skipBuild || !existsSync('.output/server/index.mjs')) {
  // A DATABASE_URL in the shell must not make a PostgreSQL-only build (as in the tests); the
  // two builds run one after the other, never at once.
  build('auth app', ['nuxi', 'build'], { DATABASE_URL: '' })
}
if (!skipBuild || !existsSync('bench/bare-app/.output/server/index.mjs')) {
  // The bare app's page is a copy of the auth app's signed-in `/`, taken from this build.
  writeFileSync('bench/bare-app/app/signed-in.html', await captureSignedInMarkup())
  build('bare app', ['nuxi', 'build', 'bench/bare-app'], {})
}

const load = startLoadGenerator()
try {
  const results = {
    machine: {
      date: new Date().toISOString(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      platform: `${platform()} ${release()}`,
    },
    config,
    backends: {},
  }

  log('backend: sqlite')
  const sqliteDir = mkdtempSync(join(tmpdir(), 'auth-bench-sqlite-'))
  const sqliteFile = join(sqliteDir, 'app.db')
  try {
    results.backends.sqlite = await benchBackend({ load, config, log, databaseUrl: sqliteFile, openSeeder: () => openSqliteSeeder(sqliteFile) })
  }
  finally {
    rmSync(sqliteDir, { recursive: true, force: true })
  }

  const database = config.postgresUrl && await createPostgresDatabase(config.postgresUrl)
  if (database) {
    log('backend: postgres')
    try {
      results.backends.postgres = await benchBackend({ load, config, log, databaseUrl: database.url, openSeeder: () => openPostgresSeeder(database.url) })
    }
    finally {
      await database.drop()
    }
  }
  else {
    log(config.postgresUrl ? `no PostgreSQL server at ${config.postgresUrl}: skipped` : 'PostgreSQL skipped (BENCH_SKIP_PG=1)')
  }

  log('pages: signed-in / against the bare app\'s copy of it')
  results.pages = await benchPages({ load, config, log })
  log('cold start')
  results.coldStart = await benchColdStart({ config, log })
  results.targets = evaluateTargets(results)

  mkdirSync('bench/results', { recursive: true })
  writeFileSync('bench/results/latest.json', `${JSON.stringify(results, null, 2)}\n`)
  console.log(formatReport(results))
  console.log('\nwritten to bench/results/latest.json')
}
finally {
  load.close()
}

function build(name, args, extraEnv) {
  log(`building the ${name}`)
  const result = spawnSync('npx', args, { env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status !== 0) throw new Error(`${name} build failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`)
}
