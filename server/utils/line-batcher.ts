/**
 * Lines written together at the end of this turn of the event loop, in one `write` call: for
 * stdout under a process manager (systemd, Docker, Vercel), a pipe, where every write is a
 * blocking system call that also wakes the reader. `add` resolves once its line is written;
 * `flush` writes what is pending at once (at exit).
 */
export function createLineBatcher(write: (text: string) => void) {
  let pending = ''
  let written: Promise<void> | undefined

  function flush(): void {
    const text = pending
    pending = ''
    written = undefined
    if (text) write(text)
  }

  function add(line: string): Promise<void> {
    written ??= new Promise<void>(resolve => setImmediate(() => {
      flush()
      resolve()
    }))
    pending += line
    return written
  }

  return { add, flush }
}
