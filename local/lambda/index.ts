// The local stand-in for AWS Lambda: execution environments per function, scaled, throttled
// and ended as Lambda does, and the build that makes what they run. See service.ts.
export { BUILD_DIR, type Build, type BuiltFunction, buildApplication } from './build';
export type { EnvironmentConfig, EnvironmentOptions } from './environment';
export {
  FunctionError,
  RequestTooLargeException,
  ResourceNotFoundException,
  type ThrottleReason,
  TooManyRequestsException,
} from './errors';
export type {
  FaultKind,
  FaultOptions,
  FunctionConfig,
  FunctionPool,
  FunctionUsage,
  InjectedFault,
} from './pool';
export { LambdaService, type LambdaServiceOptions } from './service';
