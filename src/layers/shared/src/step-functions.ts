/** `@orders/shared/step-functions`: the Step Functions client and the order workflow adapter. */
export { stepFunctionsWorkflow } from './adapters/step-functions';
export { stepFunctions } from './runtime/step-functions-client';
