// The Node side of sesh's Remix interop test, one command per run (with
// FILE_DIR set, the commands use createFileSessionStorage on that directory
// instead of the cookie storage):
//   node peer.js write <secrets,csv> '<{"k":"v"}>' '<{"flashKey":"v"}>'  → prints the Set-Cookie line
//   node peer.js read  <secrets,csv> '<Cookie header>' key1,key2            → prints {"key1":…,"key2":…,"flashLeft":[…]}
// and for a plain createCookie (options as JSON, secrets among them):
//   node peer.js cookie-write <name> '<options>' '<JSON value>'   → prints serialize(value)
//   node peer.js cookie-read  <name> '<options>' '<Cookie header>' → prints {"value": await parse(header)}
const { createCookie, createCookieSessionStorage, createFileSessionStorage } = require('@remix-run/node');

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
  const cookie = { name: '__session', secrets: secrets.split(','), httpOnly: true, sameSite: 'lax', path: '/' };
  const storage = process.env.FILE_DIR
    ? createFileSessionStorage({ cookie: { ...cookie, maxAge: 3600 }, dir: process.env.FILE_DIR })
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
  throw new Error('unknown command ' + cmd);
}
main().catch((err) => { console.error(err); process.exit(1); });
