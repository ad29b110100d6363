// The Node side of the interop test: express 5 + express-session +
// connect-redis, configured from the environment. Prints "LISTENING <port>"
// once it serves on 127.0.0.1.
//   REDIS_URL  redis://127.0.0.1:6379/0
//   PREFIX     connect-redis key prefix
//   SECRET     comma-separated secrets, the first signs
//   DISABLE_TTL  set: connect-redis's disableTTL (records without a TTL)
const express = require('express');
const session = require('express-session');
const { RedisStore } = require('connect-redis');
const { createClient } = require('redis');

async function main() {
  const client = createClient({ url: process.env.REDIS_URL });
  await client.connect();
  const app = express();
  app.use(session({
    store: new RedisStore({ client, prefix: process.env.PREFIX, disableTTL: !!process.env.DISABLE_TTL }),
    secret: process.env.SECRET.split(','),
    resave: false,
    saveUninitialized: false,
    // X-Forwarded-Proto: https makes a request secure (the interop test
    // sends it to show what a Secure cookie in the record does).
    proxy: true,
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
  // "Remember me": the cookie's lifetime (ms, or "null" for a browser-session
  // cookie), saved with a change to the data as an app's sign-in would.
  app.get('/remember', (req, res) => {
    req.session.cookie.maxAge = req.query.ms === 'null' ? null : Number(req.query.ms);
    req.session.remembered = req.query.ms;
    res.type('text').send('ok');
  });
  app.get('/cookie', (req, res) => res.json(req.session.cookie));
  app.get('/logout', (req, res) => req.session.destroy(() => res.type('text').send('bye')));
  const srv = app.listen(0, '127.0.0.1', () => console.log('LISTENING ' + srv.address().port));
  const stop = () => { srv.close(); client.quit().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((err) => { console.error(err); process.exit(1); });
