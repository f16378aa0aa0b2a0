/**
 * Answers in DynamoDB's JSON 1.0 protocol: the body, its content type, a request id and the
 * CRC32 of the body that DynamoDB sends in `x-amz-crc32`.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Reply } from './dynalite';
import type { AwsError } from './errors';

export function jsonReply(status: number, body: unknown): Reply {
  const bytes = Buffer.from(JSON.stringify(body));
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomBytes(39).toString('base64url').toUpperCase().slice(0, 52),
    },
    body: bytes,
  };
}

export const errorReply = (err: AwsError): Reply => jsonReply(err.status, err.body());

/** The same answer with its JSON body changed. */
export function rewriteJson(
  reply: Reply,
  change: (body: Record<string, unknown>) => Record<string, unknown>,
): Reply {
  const body = change(JSON.parse(reply.body.toString('utf8') || '{}'));
  return { ...reply, body: Buffer.from(JSON.stringify(body)) };
}

/** The headers an answer is sent with: the upstream ones that describe the body, recomputed. */
export function replyHeaders(reply: Reply): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': String(reply.headers['content-type'] ?? 'application/x-amz-json-1.0'),
    'content-length': String(reply.body.length),
    'x-amz-crc32': String(crc32(reply.body)),
  };
  const requestId = reply.headers['x-amzn-requestid'];
  if (requestId) headers['x-amzn-requestid'] = String(requestId);
  const origin = reply.headers['access-control-allow-origin'];
  if (origin) headers['access-control-allow-origin'] = String(origin);
  return headers;
}
