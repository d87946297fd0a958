/**
 * A TCP forwarder on a fixed loopback port that the test can point at another server: the
 * stand-in for the virtual IP, HAProxy or PgBouncer through which a deployment reaches whichever
 * Postgres is primary. Moving it cuts every open connection, as those do when the primary
 * changes (HAProxy's `on-marked-down shutdown-sessions`, a VIP taken over by another host).
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

export class TcpProxy {
  /** Connections accepted since the start. */
  accepted = 0;
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private target: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on('connection', (client) => proxy.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy not listening');
    return address.port;
  }

  get targetPort(): number {
    return this.target;
  }

  /** From now on connections go to `port`; the ones open now are cut. */
  moveTo(port: number): void {
    this.target = port;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    this.accepted += 1;
    const upstream = connect(this.target, '127.0.0.1');
    this.open.add(client);
    this.open.add(upstream);
    // Either side ending or failing ends both: a client must never wait on a dead server.
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
