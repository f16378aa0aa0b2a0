// The local DynamoDB service's thread. The service is TypeScript: tsx compiles it here, whichever
// runner (tsx, Jest) started the main thread.
require('tsx/cjs/api').register();
require('./service.ts')
  .runInWorker()
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
