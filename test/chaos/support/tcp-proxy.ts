/**
 * A TCP forwarder on a fixed loopback port that the test can point at another server: the
 * stand-in for the virtual IP, HAProxy or PgBouncer through which a deployment reaches whichever
 * Postgres is primary. Moving it cuts every open connection, as those do when the primary
 * changes (HAProxy's `on-marked-down shutdown-sessions`, a VIP taken over by another host).
 *
 * It can also hold back the servers' answers (clients' requests still go through): a commit
 * the server finishes meanwhile is one whose outcome the client never hears once the
 * connections are cut, the case a failover must not turn into a loss or a duplicate.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

interface Connection {
  client: Socket;
  upstream: Socket;
}

export class TcpProxy {
  /** Connections accepted since the start. */
  accepted = 0;
  private readonly open = new Set<Connection>();
  private holding = false;

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

  /**
   * From now on nothing the servers send reaches the clients (open connections and new ones),
   * until cut(): requests still arrive and run, their answers stay with the proxy and are
   * dropped by the cut. A held socket is not read, so the proxy no longer sees a server die:
   * the test cuts the connections itself, as the address layer does on failover.
   */
  holdAnswers(): void {
    this.holding = true;
    for (const { client, upstream } of this.open) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }

  /** Lets the answers through again, the held ones first (they arrive late, nothing is lost). */
  release(): void {
    this.holding = false;
    for (const { client, upstream } of this.open) upstream.pipe(client);
  }

  /** Cuts every open connection (held answers are dropped) and stops holding. */
  cut(): void {
    this.holding = false;
    for (const { client, upstream } of this.open) {
      client.destroy();
      upstream.destroy();
    }
    this.open.clear();
  }

  /** From now on connections go to `port`; the ones open now are cut. */
  moveTo(port: number): void {
    this.target = port;
    this.cut();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    this.accepted += 1;
    const upstream = connect(this.target, '127.0.0.1');
    const connection = { client, upstream };
    this.open.add(connection);
    // Either side ending or failing ends both: a client must never wait on a dead server.
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(connection);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    if (this.holding) upstream.pause();
    else upstream.pipe(client);
  }
}
