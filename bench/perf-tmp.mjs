import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLoadGenerator } from './load-client.mjs'
import { PAGE_EMAIL, signUp } from './suite.mjs'
const dir = mkdtempSync(join(tmpdir(), 'perf-'))
async function start(entry, env) {
  const child = spawn(process.execPath, ['--perf-basic-prof-only-functions', '--interpreted-frames-native-stack', entry], { env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const url = await new Promise(r => child.stdout.on('data', c => { out += c; const m = /Listening on (http:\/\/\S+)/.exec(out); if (m) r(m[1]) }))
  child.stdout.resume()
  return { child, url }
}
const load = startLoadGenerator()
const auth = await start('.output/server/index.mjs', { DATABASE_URL: join(dir, 'a.db') })
const bare = await start('bench/bare-app/.output/server/index.mjs', {})
const cookie = await signUp(auth.url, PAGE_EMAIL)
const jobs = { auth: { url: auth.url, method: 'GET', path: '/', headers: { cookie } }, bare: { url: bare.url, method: 'GET', path: '/' } }
for (const k of ['auth', 'bare']) await load.run({ ...jobs[k], connections: 50, duration: 3 })
for (const [k, s] of [['auth', auth], ['bare', bare]]) {
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '1999', '-g', '-p', String(s.child.pid), '-o', `/tmp/abl/perf-${k}.data`], { stdio: 'ignore' })
  await new Promise(r => setTimeout(r, 300))
  const res = await load.run({ ...jobs[k], connections: 50, duration: 5 })
  perf.kill('SIGINT'); await new Promise(r => perf.once('exit', r))
  console.log(k, 'responses', res.responses)
}
auth.child.kill(); bare.child.kill(); load.close()
