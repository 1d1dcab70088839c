import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A small tmpfs of its own, to make a disk full or read-only without touching anything else. */
export interface Tmpfs {
  dir: string
  /** Remounts read-only or read-write; read-only needs no file on it open for writing. */
  remount: (mode: 'ro' | 'rw') => void
  /** Writes a file until the file system has no free block left; returns its path. */
  fill: () => string
  unmount: () => void
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.error?.message}`)
}

/**
 * Mounts a tmpfs of `size` (mount(8) syntax, such as 4m), or says why it cannot: mounting needs
 * root. That is a visible skip on a developer's machine and an error in CI.
 */
export function mountTmpfs(size: string): Tmpfs | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'auth-tmpfs-'))
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir])
  }
  catch (error) {
    rmdirSync(dir)
    const reason = `cannot mount a tmpfs (${(error as Error).message.trim().split('\n')[0]})`
    if (process.env.CI) throw new Error(`${reason}: CI runs the store-fault tests as root`, { cause: error })
    return { skip: reason }
  }
  return {
    dir,
    remount: mode => run('mount', ['-o', `remount,${mode}`, dir]),
    fill: () => {
      const path = join(dir, 'filler')
      const fd = openSync(path, 'w')
      try {
        // Big chunks first, then single blocks, until not even one block is left.
        for (const chunk of [Buffer.alloc(1 << 16), Buffer.alloc(4096), Buffer.alloc(1)]) {
          try {
            for (;;) writeSync(fd, chunk)
          }
          catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
          }
        }
      }
      finally {
        closeSync(fd)
      }
      return path
    },
    unmount: () => {
      run('umount', ['-l', dir])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
