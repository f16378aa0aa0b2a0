import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as z from 'zod/mini';
import type { LocalDynamoDb } from './dynamodb/local-dynamodb';
import type { InjectedFault, LambdaService } from './lambda';
import { listen } from './net';

/** A fault to inject, as `POST /faults` takes it (and `npm run fault` sends it). */
export const faultSchema = z.union([
  z.strictObject({
    service: z.literal('dynamodb'),
    mode: z.enum(['unavailable', 'unreachable', 'throttle']),
    seconds: z.number().check(z.positive(), z.maximum(3600)),
    fraction: z.optional(z.number().check(z.positive(), z.maximum(1))),
  }),
  z.strictObject({
    service: z.literal('lambda'),
    function: z.string(),
    kind: z.enum(['timeout', 'crash', 'error', 'throttle']),
    count: z.optional(z.int().check(z.positive())),
    seconds: z.optional(z.number().check(z.positive(), z.maximum(3600))),
  }),
]);
export type FaultRequest = z.infer<typeof faultSchema>;

/**
 * The local stack's own control API (not an AWS API): fault injection for the reliability tests,
 * the workshop and `npm run fault`. `POST /faults` starts one, `GET /faults` lists the active
 * ones, `DELETE /faults` ends them all.
 */
export async function startControl(options: {
  dynamodb?: LocalDynamoDb;
  lambda: LambdaService;
  log(line: string): void;
  port?: number;
  host?: string;
}) {
  const lambdaFaults: Array<
    FaultRequest & { service: 'lambda'; injected: InjectedFault; until?: number }
  > = [];

  /** Timers that log the end of each DynamoDB fault. */
  const endings = new Set<NodeJS.Timeout>();

  async function inject(fault: FaultRequest) {
    if (fault.service === 'dynamodb') {
      if (!options.dynamodb) throw new Error('DynamoDB faults need the embedded DynamoDB');
      await options.dynamodb.faults.inject({
        mode: fault.mode,
        seconds: fault.seconds,
        fraction: fault.fraction,
      });
      options.log(`fault: DynamoDB ${fault.mode} for ${fault.seconds} s`);
      const over = setTimeout(() => {
        endings.delete(over);
        options.log(`fault: DynamoDB ${fault.mode} over`);
      }, fault.seconds * 1000);
      endings.add(over.unref());
      return;
    }
    const functions = Object.keys(options.lambda.usage());
    if (!functions.includes(fault.function)) {
      throw new Error(`No function ${fault.function}; the functions are ${functions.join(', ')}`);
    }
    const injected = options.lambda.injectFault(fault.function, fault.kind, {
      count: fault.count,
      seconds: fault.seconds,
    });
    const until = fault.seconds ? Date.now() + fault.seconds * 1000 : undefined;
    lambdaFaults.push({ ...fault, injected, until });
    const span = fault.count
      ? `the next ${fault.count} invocation(s)`
      : fault.seconds
        ? `${fault.seconds} s`
        : 'until cleared';
    options.log(`fault: ${fault.function} ${fault.kind} for ${span}`);
  }

  async function list() {
    const now = Date.now();
    return {
      dynamodb: options.dynamodb ? await options.dynamodb.faults.list() : [],
      // Those still to apply: not past their time, nor used up; a count says how many are left.
      lambda: lambdaFaults
        .filter((f) => (f.until === undefined || f.until > now) && f.injected.remaining() !== 0)
        .map(({ injected, until: _u, ...f }) =>
          f.count === undefined ? f : { ...f, count: injected.remaining() },
        ),
    };
  }

  async function clear() {
    await options.dynamodb?.faults.clear();
    for (const ending of endings) clearTimeout(ending);
    endings.clear();
    for (const fault of lambdaFaults.splice(0)) fault.injected.clear();
    options.log('fault: all cleared');
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.url !== '/faults') return send(404, { message: 'Not Found' });
      if (req.method === 'GET') return send(200, await list());
      if (req.method === 'DELETE') {
        await clear();
        return send(200, await list());
      }
      if (req.method !== 'POST') return send(405, { message: 'Method Not Allowed' });
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const parsed = z.safeParse(faultSchema, JSON.parse(Buffer.concat(chunks).toString() || '{}'));
      if (!parsed.success)
        return send(400, { message: 'Invalid fault', issues: parsed.error.issues });
      await inject(parsed.data);
      return send(200, await list());
    } catch (err: unknown) {
      send(400, { message: (err as Error).message });
    }
  });
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1', 'local control');
  return {
    url,
    inject,
    clear,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
