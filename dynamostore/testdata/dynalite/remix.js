// Remix's side of dynamostore's Arc interop test: @remix-run/architect's
// createArcTableSessionStorage({cookie, table, idx: '_idx', ttl: '_ttl'})
// over @architect/functions' table client (its DynamoDB DocumentClient from
// @aws-sdk/lib-dynamodb), pointed at the test's DynamoDB endpoint through
// Architect's sandbox convention (ARC_ENV=testing, ARC_SANDBOX ports.tables:
// the client dials localhost:<port>). One command per run, JSON out:
//
//   node remix.js <port> <table> <secret> get <id>
//       the item as Architect's table.get returns it (what readData gets
//       before it deletes _idx and _ttl)
//   node remix.js <port> <table> <secret> read <Cookie header>
//       {"id":…,"data":…}: the session getSession returns (readData's result)
//   node remix.js <port> <table> <secret> write <Cookie header|-> '<{"k":v}>' '<{"flash":v}>' <maxAge>
//       {"setCookie":…}: getSession, set and flash, commitSession({maxAge})
//   node remix.js <port> <table> <secret> destroy <Cookie header>
//       {"setCookie":…}: destroySession
'use strict';

const [port, table, secret, cmd, ...args] = process.argv.slice(2);
process.env.ARC_ENV = 'testing';
process.env.ARC_SANDBOX = JSON.stringify({ version: '5.0.0', ports: { tables: Number(port) } }); // as Sandbox >= 5 sets it
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID || 'sesh';
process.env.AWS_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY || 'sesh-test-secret';

// The function arc.tables() runs once it has looked the physical table names
// up (in SSM, which a bare sandbox does not serve): here the name is given.
const factory = require('@architect/functions/src/tables/factory');
const { createArcTableSessionStorage } = require('@remix-run/architect');
const { createCookie } = require('@remix-run/node');

// BigInt (numbers past 2^53, as lib-dynamodb reads them) printed as text.
const out = (v) => process.stdout.write(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? { bigint: x.toString() } : x)));

function tables() {
  return new Promise((resolve, reject) => factory({ sessions: table }, (err, t) => (err ? reject(err) : resolve(t))));
}

async function main() {
  const t = await tables();
  const cookie = createCookie('__session', { secrets: [secret], path: '/', httpOnly: true, sameSite: 'lax' });
  const storage = createArcTableSessionStorage({ cookie, table: t.sessions, idx: '_idx', ttl: '_ttl' });
  switch (cmd) {
    case 'get':
      out((await t.sessions.get({ _idx: args[0] })) ?? null);
      return;
    case 'read': {
      const session = await storage.getSession(args[0]);
      out({ id: session.id, data: session.data });
      return;
    }
    case 'write': {
      const session = await storage.getSession(args[0] === '-' ? null : args[0]);
      for (const [k, v] of Object.entries(JSON.parse(args[1]))) session.set(k, v);
      for (const [k, v] of Object.entries(JSON.parse(args[2]))) session.flash(k, v);
      out({ setCookie: await storage.commitSession(session, { maxAge: Number(args[3]) }) });
      return;
    }
    case 'destroy': {
      const session = await storage.getSession(args[0]);
      out({ setCookie: await storage.destroySession(session) });
      return;
    }
  }
  throw new Error('unknown command ' + cmd);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
