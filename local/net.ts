import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port that is taken, named for the person who has to free it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly what: string,
    readonly port: number,
  ) {
    super(
      `Port ${port} (${what}) is already in use. Stop whatever uses it, or choose another port.`,
    );
  }
}

/** Starts listening; a taken port becomes a PortInUseError naming the service. */
export async function listen(server: Server, port: number, host: string, what: string) {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (err: unknown) {
    if ((err as { code?: string }).code === 'EADDRINUSE') throw new PortInUseError(what, port);
    throw err;
  }
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}
