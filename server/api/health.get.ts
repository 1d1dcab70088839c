/**
 * Health check: `true` while the process serves requests. It touches no database, so it is also
 * the baseline the benchmarks (bench/) measure every auth route against, through the same
 * middleware.
 */
export default defineEventHandler(() => true)
