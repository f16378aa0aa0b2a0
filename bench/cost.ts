import type { PathWork } from './order-paths';

/**
 * Public on-demand prices, US East (N. Virginia), as listed on 2026-11-27 on:
 * https://aws.amazon.com/lambda/pricing/ (Arm), https://aws.amazon.com/step-functions/pricing/,
 * https://aws.amazon.com/dynamodb/pricing/on-demand/, https://aws.amazon.com/sns/pricing/,
 * https://aws.amazon.com/sqs/pricing/, https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs).
 * Free tiers are left out: a million orders a month is past most of them.
 */
export const PRICES = {
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  stepFunctionsStandardTransition: 0.025 / 1000,
  stepFunctionsExpressRequest: 1.0 / 1e6,
  stepFunctionsExpressGbSecond: 0.00001667,
  dynamoDbWriteRequestUnit: 0.625 / 1e6,
  dynamoDbReadRequestUnit: 0.125 / 1e6,
  snsPublish: 0.5 / 1e6,
  sqsRequest: 0.4 / 1e6,
  httpApiRequest: 1.0 / 1e6,
};

/** Express bills memory in 64 MB steps and duration in 100 ms steps; the workflow's state is small. */
const EXPRESS_MEMORY_GB = 64 / 1024;

export interface CostLine {
  item: string;
  perMillion: number;
}

/**
 * Cost per million orders of a path, from the work its orders caused locally. Lambda durations are
 * the local wall times of the (warm) invocations as their callers saw them: an estimate, as Lambda
 * bills its own measured duration, rounded up to the millisecond, at the function's memory.
 * Express bills each execution's duration; the workflow's duration is taken as the time its task
 * functions ran (its SNS and DynamoDB steps add a few milliseconds).
 */
export function costPerMillion(work: PathWork) {
  const per = (n: number) => (n / work.orders) * 1e6;
  const tasks = [
    'ProcessOrderFunction',
    'ShipOrderFunction',
    'BackorderOrderFunction',
    'FailOrderFunction',
  ];
  let requests = 0;
  let gbSeconds = 0;
  for (const f of Object.values(work.functions)) {
    requests += f.invocations;
    gbSeconds +=
      (Math.ceil(f.durationMs / f.invocations) / 1000) * f.invocations * (f.memoryMb / 1024);
  }
  const workflowMs =
    tasks.reduce((sum, id) => sum + (work.functions[id]?.durationMs ?? 0), 0) /
    Math.max(1, work.executions);
  const lines: CostLine[] = [
    { item: 'HTTP API requests', perMillion: per(work.apiRequests) * PRICES.httpApiRequest },
    { item: 'Lambda requests', perMillion: per(requests) * PRICES.lambdaRequest },
    {
      item: 'Lambda GB-seconds (arm64, local durations)',
      perMillion: per(gbSeconds) * PRICES.lambdaArmGbSecond,
    },
    {
      item: 'DynamoDB write request units',
      perMillion: per(work.dynamodb.writeUnits) * PRICES.dynamoDbWriteRequestUnit,
    },
    {
      item: 'DynamoDB read request units',
      perMillion: per(work.dynamodb.readUnits) * PRICES.dynamoDbReadRequestUnit,
    },
    { item: 'SNS publishes', perMillion: per(work.snsPublishes) * PRICES.snsPublish },
    { item: 'SQS requests', perMillion: per(work.sqsRequests) * PRICES.sqsRequest },
  ];
  const standard = per(work.transitions) * PRICES.stepFunctionsStandardTransition;
  const express =
    per(work.executions) * PRICES.stepFunctionsExpressRequest +
    per(work.executions) *
      Math.ceil(workflowMs / 100) *
      0.1 *
      EXPRESS_MEMORY_GB *
      PRICES.stepFunctionsExpressGbSecond;
  const rest = lines.reduce((sum, l) => sum + l.perMillion, 0);
  return { lines, standard, express, totalStandard: rest + standard, totalExpress: rest + express };
}
