// Every test process talks to local endpoints only: a region, dummy credentials, no AWS config
// files, and no metrics written unless asked.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'local';
process.env.AWS_SECRET_ACCESS_KEY = 'local';
delete process.env.AWS_PROFILE;
process.env.POWERTOOLS_SERVICE_NAME ??= 'orders';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'ServerlessOrders';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
