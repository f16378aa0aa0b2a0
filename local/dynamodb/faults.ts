/**
 * Fault injection: DynamoDB answering as it does when it fails, for reliability tests and
 * workshops. Each fault lasts `seconds` and may be restricted to some operations or tables.
 *
 * - `unavailable`: every DynamoDB call is answered HTTP 503 `ServiceUnavailable` (or, with
 *   `status: 500`, `InternalServerError`), the two 5xx errors DynamoDB documents as "OK to retry"
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.MessagesAndCodes);
 *   the AWS SDKs retry 5xx answers.
 * - `throttle`: a `fraction` of the calls (every 1/fraction-th, so a test is repeatable) is answered
 *   HTTP 400 `ProvisionedThroughputExceededException` (or `ThrottlingException`) with
 *   `ThrottlingReasons`, as DynamoDB throttles a hot key range in either capacity mode
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-diagnosing-workflow.html);
 *   the SDKs retry both, with backoff.
 * - `unreachable`: the service stops listening and resets open connections (ECONNREFUSED,
 *   ECONNRESET), then listens again on the same port (done by the service; see service.ts).
 *
 * The Streams API is a separate endpoint in AWS and keeps answering through `unavailable` and
 * `throttle`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AwsError } from './errors';

export const faultSchema = z.object({
  mode: z.enum(['unavailable', 'unreachable', 'throttle']),
  seconds: z.number().positive().max(3600),
  /** Only these DynamoDB operations (PutItem, TransactWriteItems, ...); all when absent. */
  operations: z.array(z.string().min(1)).min(1).optional(),
  /** Only requests that touch one of these tables; all when absent. */
  tables: z.array(z.string().min(1)).min(1).optional(),
  /** throttle: the share of matching calls throttled (default 1: all). */
  fraction: z.number().gt(0).max(1).optional(),
  /** unavailable: 503 ServiceUnavailable (default) or 500 InternalServerError. */
  status: z.union([z.literal(500), z.literal(503)]).optional(),
  /** throttle: the exception answered (default ProvisionedThroughputExceededException). */
  error: z.enum(['ProvisionedThroughputExceededException', 'ThrottlingException']).optional(),
});

export type Fault = z.infer<typeof faultSchema>;
export type ActiveFault = Fault & { id: string; until: string };

interface Entry {
  fault: ActiveFault;
  until: number;
  matched: number;
}

export class Faults {
  private entries: Entry[] = [];

  /** Adds a fault (validated: a bad one throws a ValidationException naming the fields). */
  add(input: unknown): ActiveFault {
    const parsed = faultSchema.safeParse(input);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
      throw new AwsError('ValidationException', `Invalid fault: ${fields.join('; ')}`);
    }
    const until = Date.now() + parsed.data.seconds * 1000;
    const fault: ActiveFault = {
      ...parsed.data,
      id: randomUUID(),
      until: new Date(until).toISOString(),
    };
    this.entries.push({ fault, until, matched: 0 });
    return fault;
  }

  list(): ActiveFault[] {
    this.expire();
    return this.entries.map((e) => e.fault);
  }

  clear() {
    this.entries = [];
  }

  /** Until when the service must stay unreachable (ms), if an `unreachable` fault is active. */
  unreachableUntil(): number | undefined {
    this.expire();
    const until = this.entries.filter((e) => e.fault.mode === 'unreachable').map((e) => e.until);
    return until.length > 0 ? Math.max(...until) : undefined;
  }

  /** The error a DynamoDB call must be answered with instead, if a fault applies to it. */
  check(
    operation: string,
    tables: string[],
    tableArn: (name: string) => string,
  ): AwsError | undefined {
    this.expire();
    for (const entry of this.entries) {
      const { fault } = entry;
      if (fault.mode === 'unreachable') continue;
      if (fault.operations && !fault.operations.includes(operation)) continue;
      if (fault.tables && !tables.some((t) => fault.tables?.includes(t))) continue;
      if (fault.mode === 'unavailable') {
        return fault.status === 500
          ? new AwsError('InternalServerError', 'Internal server error', 500)
          : new AwsError('ServiceUnavailable', 'Service unavailable', 503);
      }
      const fraction = fault.fraction ?? 1;
      entry.matched++;
      if (Math.floor(entry.matched * fraction) === Math.floor((entry.matched - 1) * fraction))
        continue;
      const table = tables[0] ?? 'unknown';
      const reason = `Table${/Get|Query|Scan/.test(operation) ? 'Read' : 'Write'}KeyRangeThroughputExceeded`;
      const reasons = [{ reason, resource: tableArn(table) }];
      return fault.error === 'ThrottlingException'
        ? new AwsError(
            'ThrottlingException',
            'Rate of requests exceeds the allowed throughput.',
            400,
            {
              throttlingReasons: reasons,
            },
          )
        : new AwsError(
            'ProvisionedThroughputExceededException',
            'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
            400,
            { ThrottlingReasons: reasons },
          );
    }
    return undefined;
  }

  private expire() {
    const now = Date.now();
    this.entries = this.entries.filter((e) => e.until > now);
  }
}
