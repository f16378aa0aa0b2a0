// dynalite on its own thread, so its work does not share an event loop with what calls it.
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');

const { path, port, host } = workerData;
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path });
server.on('error', (err) =>
  parentPort.postMessage({ error: { code: err.code, message: err.message } }),
);
server.listen(port, host, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'stop') {
    server.closeAllConnections?.();
    server.close(() => parentPort.postMessage({ stopped: true }));
  }
});
