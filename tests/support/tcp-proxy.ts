import { createServer, connect, type AddressInfo, type Socket } from 'node:net'

/** A TCP proxy on 127.0.0.1 in front of a database, which a test can cut off and restore. */
export interface TcpProxy {
  port: number
  /**
   * The database drops away: every open connection is reset at once (as when the server dies),
   * and connections opened from now on are accepted and then never answered (as when the
   * network drops packets), until restore(). Those stay silent even afterwards: their packets
   * were lost, and only the client's own timeout ends them.
   */
  cut: () => void
  restore: () => void
  close: () => Promise<void>
}

export interface TcpProxyOptions {
  /** Every chunk a client sends, with the number of its connection (0 for the first). */
  onClientData?: (connection: number, chunk: Buffer) => void
}

export async function startTcpProxy(target: { host: string, port: number }, { onClientData }: TcpProxyOptions = {}): Promise<TcpProxy> {
  const open = new Set<Socket>()
  let isCut = false
  let connections = 0
  const server = createServer((client) => {
    const connection = connections++
    if (onClientData) client.on('data', (chunk: Buffer) => onClientData(connection, chunk))
    open.add(client)
    client.once('close', () => open.delete(client))
    client.on('error', () => {})
    if (isCut) return
    const upstream = connect(target)
    open.add(upstream)
    upstream.once('close', () => open.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      isCut = true
      for (const socket of open) socket.resetAndDestroy()
    },
    restore: () => {
      isCut = false
    },
    close: () => new Promise((resolve) => {
      for (const socket of open) socket.destroy()
      server.close(() => resolve())
    }),
  }
}
