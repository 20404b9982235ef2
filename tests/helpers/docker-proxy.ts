/**
 * The host's real Docker engine reached through a TCP port this test controls, so a test can
 * take the engine away and bring it back without touching the daemon other tests use.
 */
import net from "node:net";

export class DockerProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private port = 0;

  constructor(private readonly socketPath = "/var/run/docker.sock") {}

  /** Listens (on the same port as before, after `cut`); resolves with the DOCKER_HOST to use. */
  async open(): Promise<string> {
    const server = net.createServer((client) => {
      const engine = net.connect(this.socketPath);
      for (const socket of [client, engine]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          engine.destroy();
        });
      }
      client.pipe(engine).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** The engine is gone: open connections drop and new ones are refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
