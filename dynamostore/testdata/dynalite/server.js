// Starts dynalite (in memory, no table-state delays) on 127.0.0.1:<port>
// for dynamostore's tests: node server.js <port>
//
// dynalite 4.0.0 rethrows a request stream's error (index.js:
// req.on('error', function (err) { throw err })), so a client that aborts a
// request while sending its body (storetest.Faults cuts connections on
// purpose) kills the server. That one error is logged and survived here, as
// DynamoDB survives it; any other uncaught error still ends the process.
'use strict';

const dynalite = require('dynalite');

process.on('uncaughtException', (err) => {
  if (err && (err.code === 'ECONNRESET' || err.code === 'ECONNABORTED' || err.message === 'aborted')) {
    console.error('dynalite: a client aborted a request:', err.message);
    return;
  }
  console.error(err);
  process.exit(1);
});

const port = Number(process.argv[2]);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(port, '127.0.0.1', () => console.log('Dynalite listening at: http://127.0.0.1:' + port));
