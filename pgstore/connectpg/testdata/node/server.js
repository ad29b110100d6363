// The Node side of the connect-pg-simple interop test. Prints
// "LISTENING <port>" once it serves on 127.0.0.1.
//   DATABASE_URL  postgres://…
//   TABLE         connect-pg-simple tableName
//   SECRET        comma-separated secrets, the first signs
const express = require('express');
const session = require('express-session');
const pgSession = require('connect-pg-simple')(session);
const pg = require('pg');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const app = express();
app.use(session({
  store: new pgSession({ pool, tableName: process.env.TABLE, pruneSessionInterval: false }),
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
app.get('/set', (req, res) => { req.session[req.query.k] = req.query.v; res.type('text').send('ok'); });
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
const stop = () => { srv.close(); pool.end().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
