// `node bench/cold-ab.mjs A B`: the cold start of two builds of the auth app (server entries:
// `.output/server/index.mjs` of two builds, the whole `.output` of one copied aside before the
// other is built) and of the bare app, measured as `npm run bench` does, in one script: a bare
// start, then A and B in turn (B first in every other round), so that a change of a few ms is
// not lost to drift between runs. Prints each one's median and B/A, the ratio of the medians.
// BENCH_COLD_RUNS starts each (default 31). Needs the bare app's build (bench/bare-app/.output,
// made by `npm run bench`).
import { resolve } from 'node:path'
import { benchColdStart } from './suite.mjs'

const entries = process.argv.slice(2, 4)
if (entries.length !== 2) {
  console.error('usage: node bench/cold-ab.mjs <server entry A> <server entry B>  (see the top of bench/cold-ab.mjs)')
  process.exit(2)
}
const config = { coldRuns: Number(process.env.BENCH_COLD_RUNS || 31) }
const result = await benchColdStart({ config, log: () => {}, builds: { A: resolve(entries[0]), B: resolve(entries[1]) } })
const { bare, A, B } = result
console.log(`${config.coldRuns} starts each, spawn to first good answer, medians (steal ${(100 * result.steal).toFixed(1)}%)`)
console.log(`  bare: ${bare.median.toFixed(1)} ms`)
for (const [name, figure] of [['A', A], ['B', B]]) console.log(`  ${name}: ${figure.median.toFixed(1)} ms, ${(figure.median / bare.median).toFixed(3)}x bare  (${entries[name === 'A' ? 0 : 1]})`)
console.log(`B/A ${(B.median / A.median).toFixed(3)}`)
