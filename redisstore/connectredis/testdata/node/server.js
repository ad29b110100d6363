// The Node side of the interop test: express 5 + express-session +
// connect-redis, configured from the environment. Prints "LISTENING <port>"
// once it serves on 127.0.0.1.
//   REDIS_URL  redis://127.0.0.1:6379/0
//   PREFIX     connect-redis key prefix
//   SECRET     comma-separated secrets, the first signs
const express = require('express');
const session = require('express-session');
const { RedisStore } = require('connect-redis');
const { createClient } = require('redis');

async function main() {
  const client = createClient({ url: process.env.REDIS_URL });
  await client.connect();
  const app = express();
  app.use(session({
    store: new RedisStore({ client, prefix: process.env.PREFIX }),
    secret: process.env.SECRET.split(','),
    resave: false,
    saveUninitialized: false,
  }));
  app.get('/views', (req, res) => {
    req.session.views = (req.session.views || 0) + 1;
    res.type('text').send(String(req.session.views));
  });
  app.get('/set', (req, res) => {
    req.session[req.query.k] = req.query.v;
    res.type('text').send('ok');
  });
  app.get('/dump', (req, res) => res.json(req.session));
  app.get('/logout', (req, res) => req.session.destroy(() => res.type('text').send('bye')));
  const srv = app.listen(0, '127.0.0.1', () => console.log('LISTENING ' + srv.address().port));
  const stop = () => { srv.close(); client.quit().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((err) => { console.error(err); process.exit(1); });
