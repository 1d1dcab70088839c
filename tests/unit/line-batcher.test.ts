import { describe, expect, it } from 'vitest'
import { createLineBatcher } from '../../server/utils/line-batcher'

const nextTurn = () => new Promise<void>(resolve => setImmediate(resolve))

describe('createLineBatcher (the auth event log)', () => {
  it('writes the lines of one turn in one call, in order, once the turn is over', async () => {
    const writes: string[] = []
    const lines = createLineBatcher(text => writes.push(text))
    const written = [lines.add('a\n'), lines.add('b\n'), lines.add('c\n')]
    expect(writes).toEqual([])
    await Promise.all(written)
    expect(writes).toEqual(['a\nb\nc\n'])
  })

  it('resolves each line\'s promise only after its write', async () => {
    const writes: string[] = []
    const lines = createLineBatcher(text => writes.push(text))
    const seen = await lines.add('a\n').then(() => [...writes])
    expect(seen).toEqual(['a\n'])
  })

  it('starts a new write for the lines of a later turn', async () => {
    const writes: string[] = []
    const lines = createLineBatcher(text => writes.push(text))
    await lines.add('a\n')
    await nextTurn()
    await lines.add('b\n')
    expect(writes).toEqual(['a\n', 'b\n'])
  })

  it('writes what is pending at once on flush (at exit), and not again at the end of the turn', async () => {
    const writes: string[] = []
    const lines = createLineBatcher(text => writes.push(text))
    const written = lines.add('a\n')
    lines.flush()
    expect(writes).toEqual(['a\n'])
    await written
    await nextTurn()
    expect(writes).toEqual(['a\n'])
  })
})
