/**
 * A local DynamoDB, DynamoDB Streams and fault injector on one port, in its own worker thread so
 * the thread that starts it stays free. dynalite stores the tables; this folder adds what dynalite
 * lacks, following AWS's documented behaviour (each file cites its page):
 *
 * - TransactWriteItems and TransactGetItems (transactions.ts), serializable with single-item
 *   operations through per-item locks (locks.ts, items.ts);
 * - the stream of every table created with a StreamSpecification, served by the DynamoDB Streams
 *   API on the same port (streams.ts, streams-api.ts, tables.ts);
 * - persistence of tables, stream records and stream descriptions under `dataDir`;
 * - fault injection on `/_local/faults` or through the handle (faults.ts);
 * - capacity units per table, counted for the benchmark (capacity.ts).
 *
 * Where it differs from AWS: conflicting requests wait instead of failing with
 * TransactionConflict; one shard per stream; stream records kept 24 hours only when persisted.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PortInUseError } from '../net';
import type { CapacityUsage } from './capacity';
import type { ActiveFault, Fault } from './faults';
import type { ServiceOptions } from './service';

export type { ActiveFault, CapacityUsage, Fault };

export interface LocalDynamoDbOptions {
  /** Public port (default 0: a free one). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keep tables, stream records and stream descriptions here; in memory when absent. */
  dataDir?: string;
  /** Count the capacity units of every request, for `usage()` (default false). */
  accounting?: boolean;
  /** Region in ARNs and stream records (default AWS_REGION, else us-east-1). */
  region?: string;
}

export interface LocalDynamoDb {
  /** Endpoint of the DynamoDB API and of the DynamoDB Streams API. */
  url: string;
  port: number;
  faults: {
    /** Starts a fault; it ends by itself after `seconds`. */
    inject(fault: Fault): Promise<ActiveFault>;
    list(): Promise<ActiveFault[]>;
    /** Ends every fault now (an unreachable service listens again). */
    clear(): Promise<void>;
  };
  /** Capacity units consumed so far (counted for every request with `accounting`). */
  usage(): Promise<CapacityUsage>;
  stop(): Promise<void>;
}

type Reply = { id: number; result?: unknown; error?: { name: string; message: string } };

/** Starts the service; resolves once it answers on its port. */
export async function startLocalDynamoDb(
  options: LocalDynamoDbOptions = {},
): Promise<LocalDynamoDb> {
  const host = options.host ?? '127.0.0.1';
  const config: ServiceOptions = {
    port: options.port ?? 0,
    host,
    dataDir: options.dataDir,
    accounting: options.accounting ?? false,
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
  };
  const worker = new Worker(join(__dirname, 'worker.cjs'), { workerData: config });
  worker.unref();
  const [ready] = (await once(worker, 'message')) as [
    { port?: number; error?: { code?: string; message: string } },
  ];
  if (ready.error || ready.port === undefined) {
    await worker.terminate();
    if (ready.error?.code === 'EADDRINUSE') throw new PortInUseError('DynamoDB', config.port);
    throw new Error(`Local DynamoDB did not start: ${ready.error?.message}`);
  }

  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  worker.on('message', ({ id, result, error }: Reply) => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    if (error) call.reject(Object.assign(new Error(error.message), { name: error.name }));
    else call.resolve(result);
  });
  const call = <T>(method: string, ...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args });
    });

  return {
    url: `http://${host}:${ready.port}`,
    port: ready.port,
    faults: {
      inject: (fault) => call<ActiveFault>('injectFault', fault),
      list: () => call<ActiveFault[]>('listFaults'),
      clear: () => call<void>('clearFaults'),
    },
    usage: () => call<CapacityUsage>('usage'),
    async stop() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([call('stop'), new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
