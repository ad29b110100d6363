// The Node side of sesh's Remix interop test, one command per run (with
// FILE_DIR set, the commands use createFileSessionStorage on that directory
// instead of the cookie storage; REMIX_COOKIE, a JSON object, adds cookie
// options: "expires" as an ISO date, null to leave an option out):
//   node peer.js write <secrets,csv> '<{"k":"v"}>' '<{"flashKey":"v"}>'  → prints the Set-Cookie line
//   node peer.js read  <secrets,csv> '<Cookie header>' key1,key2            → prints {"key1":…,"key2":…,"flashLeft":[…]}
//   node peer.js destroy <secrets,csv> '<Cookie header>'                    → prints destroySession's Set-Cookie line
//   node peer.js rewrite <secrets,csv> '<Cookie header>' '<{"k":"v"}>'      → getSession, set, commitSession: the line
//   node peer.js write-max <secrets,csv> '<{"k":"v"}>' <fillKey>            → sets the values, then fillKey to the
//       longest run of "x" commitSession accepts; prints {"setCookie":…,"fill":<its length>}
// and for a plain createCookie (options as JSON, secrets among them):
//   node peer.js cookie-write <name> '<options>' '<JSON value>'   → prints serialize(value)
//   node peer.js cookie-read  <name> '<options>' '<Cookie header>' → prints {"value": await parse(header)}
const { createCookie, createCookieSessionStorage, createFileSessionStorage } = require('@remix-run/node');

function extraCookieOptions() {
  const extra = JSON.parse(process.env.REMIX_COOKIE || '{}');
  if (extra.expires) extra.expires = new Date(extra.expires);
  return extra;
}

async function main() {
  const [cmd, secrets, a, b] = process.argv.slice(2);
  if (cmd === 'cookie-write' || cmd === 'cookie-read') {
    const [name, options, arg] = [secrets, JSON.parse(a), b];
    const c = createCookie(name, options);
    if (cmd === 'cookie-write') {
      process.stdout.write(await c.serialize(JSON.parse(arg)));
    } else {
      process.stdout.write(JSON.stringify({ value: await c.parse(arg) }));
    }
    return;
  }
  const base = { name: '__session', secrets: secrets.split(','), httpOnly: true, sameSite: 'lax', path: '/' };
  if (process.env.FILE_DIR) base.maxAge = 3600;
  // An option set to null is left out: Remix reads maxAge: null as 0.
  const cookie = Object.fromEntries(Object.entries({ ...base, ...extraCookieOptions() }).filter(([, v]) => v !== null));
  const storage = process.env.FILE_DIR
    ? createFileSessionStorage({ cookie, dir: process.env.FILE_DIR })
    : createCookieSessionStorage({ cookie });
  if (cmd === 'write') {
    const session = await storage.getSession();
    for (const [k, v] of Object.entries(JSON.parse(a))) session.set(k, v);
    for (const [k, v] of Object.entries(JSON.parse(b))) session.flash(k, v);
    process.stdout.write(await storage.commitSession(session));
    return;
  }
  if (cmd === 'read') {
    const session = await storage.getSession(a);
    const out = {};
    for (const k of b.split(',')) out[k] = session.get(k) ?? null;
    out.flashLeft = Object.keys(session.data).filter((k) => k.startsWith('__flash_'));
    process.stdout.write(JSON.stringify(out));
    return;
  }
  if (cmd === 'rewrite') {
    const session = await storage.getSession(a);
    for (const [k, v] of Object.entries(JSON.parse(b))) session.set(k, v);
    process.stdout.write(await storage.commitSession(session));
    return;
  }
  if (cmd === 'destroy') {
    const session = await storage.getSession(a);
    process.stdout.write(await storage.destroySession(session));
    return;
  }
  if (cmd === 'write-max') {
    const session = await storage.getSession();
    for (const [k, v] of Object.entries(JSON.parse(a))) session.set(k, v);
    const commit = async (n) => {
      session.set(b, 'x'.repeat(n));
      try {
        return await storage.commitSession(session);
      } catch (err) {
        if (/Cookie length will exceed browser maximum/.test(err.message)) return null;
        throw err;
      }
    };
    let lo = 0, hi = 4096; // commit(lo) succeeds, commit(hi) throws
    if ((await commit(lo)) === null || (await commit(hi)) !== null) throw new Error('write-max: no bracket');
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((await commit(mid)) === null) hi = mid; else lo = mid;
    }
    process.stdout.write(JSON.stringify({ setCookie: await commit(lo), fill: lo }));
    return;
  }
  throw new Error('unknown command ' + cmd);
}
main().catch((err) => { console.error(err); process.exit(1); });
