/**
 * The tables' streams: which tables have one (dynalite keeps no StreamSpecification, so it is
 * remembered here from CreateTable), and the change records of each, as DynamoDB Streams writes
 * them (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html):
 * INSERT/MODIFY/REMOVE with Keys and the images the StreamViewType asks for, increasing sequence
 * numbers, ApproximateCreationDateTime in seconds, SizeBytes; no record for a write that leaves
 * the item as it was. Every changed item of a transaction has its own record
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html): a
 * stream consumer cannot tell which records came from one transaction, as in AWS.
 *
 * Where it differs from AWS: one shard per stream, never split or rolled over; records are kept 24
 * hours when persisted (trimmed at start) and for the life of the process otherwise.
 *
 * With a directory, the streams' descriptions and the records survive a restart: `streams.json`
 * (descriptions, rewritten whole) and one append-only `<label>.jsonl` file per stream; a record is
 * handed to the operating system before the write that made it is answered.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { itemSize } from 'dynalite/db';
import type { Item, TableDescription } from './dynalite';
import { validationError } from './errors';

export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
const VIEW_TYPES: StreamViewType[] = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'];

/** "All data in DynamoDB Streams is subject to a 24-hour lifetime." */
export const RETENTION_SECONDS = 24 * 60 * 60;

export interface StreamDescription {
  StreamArn: string;
  StreamLabel: string;
  StreamStatus: 'ENABLED' | 'DISABLED';
  StreamViewType: StreamViewType;
  TableName: string;
  KeySchema: TableDescription['KeySchema'];
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  CreationRequestDateTime: number;
  ShardId: string;
  StartingSequenceNumber: string;
  /** Set when the stream is disabled: its only shard is closed. */
  EndingSequenceNumber?: string;
  /** Records up to this sequence number were trimmed (older than 24 hours). */
  TrimmedThrough?: string;
}

export interface StreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Item;
    NewImage?: Item;
    OldImage?: Item;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
}

/** One item's change, as a write or a transaction made it. */
export interface Change {
  table: TableDescription;
  key: Item;
  oldImage: Item | undefined;
  newImage: Item | undefined;
}

interface Stream {
  description: StreamDescription;
  records: StreamRecord[];
  file?: WriteStream;
}

/** Sequence numbers: 21 digits, so that their string order is their numeric order. */
const sequenceString = (n: bigint) => n.toString().padStart(21, '0');

export class StreamStore {
  private readonly streams = new Map<string, Stream>();
  private sequence = 100000000000000000000n;

  private constructor(
    private readonly region: string,
    private readonly dir: string | undefined,
  ) {}

  /** Opens the store: empty in memory, or what `dir` kept, less records older than 24 hours. */
  static async open(region: string, dir?: string): Promise<StreamStore> {
    const store = new StreamStore(region, dir);
    if (dir) await store.load(dir);
    return store;
  }

  /** Validates a CreateTable/UpdateTable StreamSpecification; undefined when streams stay off. */
  static viewType(spec: unknown): StreamViewType | undefined {
    if (spec === undefined || spec === null) return undefined;
    const { StreamEnabled, StreamViewType } = spec as Record<string, unknown>;
    if (typeof StreamEnabled !== 'boolean')
      throw validationError('StreamSpecification must specify StreamEnabled');
    if (!StreamEnabled) {
      if (StreamViewType !== undefined)
        throw validationError('Stream view type must not be specified when streams are disabled');
      return undefined;
    }
    if (!VIEW_TYPES.includes(StreamViewType as StreamViewType))
      throw validationError(
        `1 validation error detected: Value '${StreamViewType}' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [${VIEW_TYPES.join(', ')}]`,
      );
    return StreamViewType as StreamViewType;
  }

  /** Starts a table's stream: a new ARN (table ARN, `/stream/`, label) and one open shard. */
  async enable(table: TableDescription, viewType: StreamViewType): Promise<StreamDescription> {
    const now = new Date();
    let label = now.toISOString().replace('Z', '');
    // Two streams of one table within a millisecond (deleted and created again) stay distinct.
    while (this.streams.has(`${table.TableArn}/stream/${label}`))
      label = new Date(now.getTime() + 1).toISOString().replace('Z', '');
    const description: StreamDescription = {
      StreamArn: `${table.TableArn}/stream/${label}`,
      StreamLabel: label,
      StreamStatus: 'ENABLED',
      StreamViewType: viewType,
      TableName: table.TableName,
      KeySchema: table.KeySchema,
      CreationRequestDateTime: Math.floor(now.getTime() / 1000),
      ShardId: `shardId-${String(now.getTime()).padStart(20, '0')}-${randomBytes(4).toString('hex')}`,
      StartingSequenceNumber: sequenceString(this.sequence + 1n),
    };
    const stream: Stream = { description, records: [] };
    this.streams.set(description.StreamArn, stream);
    if (this.dir) stream.file = this.openFile(description);
    await this.save();
    return description;
  }

  /** Stops a table's stream (the table is deleted, or UpdateTable turned it off). */
  async disable(tableName: string) {
    const stream = this.enabledStream(tableName);
    if (!stream) return;
    stream.description.StreamStatus = 'DISABLED';
    stream.description.EndingSequenceNumber =
      stream.records.at(-1)?.dynamodb.SequenceNumber ?? stream.description.StartingSequenceNumber;
    await this.save();
  }

  /** The enabled stream of a table, if it has one. */
  latest(tableName: string): StreamDescription | undefined {
    return this.enabledStream(tableName)?.description;
  }

  /** What DescribeTable adds for a table with a stream. */
  tableMembers(tableName: string): Record<string, unknown> {
    const stream = this.enabledStream(tableName);
    if (!stream) return {};
    const d = stream.description;
    return {
      StreamSpecification: { StreamEnabled: true, StreamViewType: d.StreamViewType },
      LatestStreamArn: d.StreamArn,
      LatestStreamLabel: d.StreamLabel,
    };
  }

  list(): StreamDescription[] {
    return [...this.streams.values()].map((s) => s.description);
  }

  get(streamArn: string): { description: StreamDescription; records: StreamRecord[] } | undefined {
    return this.streams.get(streamArn);
  }

  /**
   * Records the changes (in their order) of the tables that have a stream; unchanged items leave
   * no record. Resolves once the records are written to the stream's file.
   */
  async record(changes: Change[]): Promise<void> {
    const writes: Array<Promise<void>> = [];
    const now = Math.floor(Date.now() / 1000);
    for (const { table, key, oldImage, newImage } of changes) {
      const stream = this.enabledStream(table.TableName);
      if (!stream || isDeepStrictEqual(oldImage, newImage)) continue;
      const view = stream.description.StreamViewType;
      const withNew = view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES';
      const withOld = view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES';
      const NewImage = withNew ? newImage : undefined;
      const OldImage = withOld ? oldImage : undefined;
      this.sequence += 1n;
      const record: StreamRecord = {
        eventID: randomUUID().replaceAll('-', ''),
        eventName: !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: this.region,
        dynamodb: {
          ApproximateCreationDateTime: now,
          Keys: key,
          ...(NewImage ? { NewImage } : {}),
          ...(OldImage ? { OldImage } : {}),
          SequenceNumber: sequenceString(this.sequence),
          SizeBytes:
            itemSize(key) +
            (NewImage ? itemSize(NewImage) : 0) +
            (OldImage ? itemSize(OldImage) : 0),
          StreamViewType: view,
        },
      };
      stream.records.push(record);
      const file = stream.file;
      if (file)
        writes.push(
          new Promise((resolve) => file.write(`${JSON.stringify(record)}\n`, () => resolve())),
        );
    }
    await Promise.all(writes);
  }

  async close() {
    await Promise.all(
      [...this.streams.values()].map(
        (s) => new Promise<void>((resolve) => (s.file ? s.file.end(() => resolve()) : resolve())),
      ),
    );
  }

  private enabledStream(tableName: string): Stream | undefined {
    for (const stream of this.streams.values()) {
      const d = stream.description;
      if (d.TableName === tableName && d.StreamStatus === 'ENABLED') return stream;
    }
    return undefined;
  }

  private recordsFile(d: StreamDescription): string {
    return join(this.dir as string, `${d.TableName}.${d.StreamLabel.replaceAll(':', '-')}.jsonl`);
  }

  private openFile(d: StreamDescription): WriteStream {
    return createWriteStream(this.recordsFile(d), { flags: 'a' });
  }

  /** Writes the streams' descriptions (and the sequence reached) whole, replacing the old file. */
  private async save() {
    if (!this.dir) return;
    const file = join(this.dir, 'streams.json');
    const body = { sequence: this.sequence.toString(), streams: this.list() };
    await writeFile(`${file}.tmp`, JSON.stringify(body, null, 2));
    await rename(`${file}.tmp`, file);
  }

  private async load(dir: string) {
    await mkdir(dir, { recursive: true });
    let saved: { sequence: string; streams: StreamDescription[] };
    try {
      saved = JSON.parse(await readFile(join(dir, 'streams.json'), 'utf8'));
    } catch (err: unknown) {
      if ((err as { code?: string }).code === 'ENOENT') return;
      throw err;
    }
    this.sequence = BigInt(saved.sequence);
    const horizon = Math.floor(Date.now() / 1000) - RETENTION_SECONDS;
    for (const description of saved.streams) {
      const lines = await readFile(this.recordsFile(description), 'utf8').catch(() => '');
      const all = lines
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as StreamRecord);
      const records = all.filter((r) => r.dynamodb.ApproximateCreationDateTime >= horizon);
      const lastSequence = all.at(-1)?.dynamodb.SequenceNumber;
      if (lastSequence && BigInt(lastSequence) > this.sequence)
        this.sequence = BigInt(lastSequence);
      if (records.length < all.length) {
        description.TrimmedThrough = all[all.length - records.length - 1]?.dynamodb.SequenceNumber;
        // A disabled stream is deleted 24 hours after: nothing of it is left to read.
        if (description.StreamStatus === 'DISABLED' && records.length === 0) continue;
        await writeFile(
          this.recordsFile(description),
          records.map((r) => `${JSON.stringify(r)}\n`).join(''),
        );
      }
      const stream: Stream = { description, records };
      if (description.StreamStatus === 'ENABLED') stream.file = this.openFile(description);
      this.streams.set(description.StreamArn, stream);
    }
    await this.save();
  }
}
