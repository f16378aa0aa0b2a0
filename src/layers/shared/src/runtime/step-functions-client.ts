import { SFNClient } from '@aws-sdk/client-sfn';
import { awsClientConfig } from '@orders/shared';

let sfnClient: SFNClient | undefined;

/** The Step Functions client, created once per execution environment. */
export function stepFunctions(): SFNClient {
  sfnClient ??= new SFNClient(awsClientConfig);
  return sfnClient;
}
