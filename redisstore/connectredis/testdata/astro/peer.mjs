// The Node side of sesh's Astro interop test: Astro's session runtime's
// storage calls, exactly — unstorage with the Redis driver, the session as
// devalue.stringify(Map<key, {data, expires}>) with Astro's URL reducer,
// getItem (which JSON-parses through destr) then unflatten.
//   REDIS_URL, BASE (the driver's base)
//   node peer.mjs write <id>   → stores a session with Astro's value types
//   node peer.mjs read <id>    → prints the session re-stringified, or null
//   node peer.mjs set <id> <key> <json>  → loads, sets key (ttl-less), stores
import { createStorage } from 'unstorage';
import redisDriver from 'unstorage/drivers/redis';
import { stringify, unflatten } from 'devalue';

const reducers = { URL: (v) => v instanceof URL && v.href };
const revivers = { URL: (href) => new URL(href) };
const storage = createStorage({ driver: redisDriver({ url: process.env.REDIS_URL, base: process.env.BASE }) });

async function load(id) {
  const raw = await storage.getItem(id);
  return raw == null ? null : unflatten(raw, revivers);
}

const [cmd, id, key, json] = process.argv.slice(2);
try {
  if (cmd === 'write') {
    const data = new Map([
      ['user', { data: 'bob', expires: undefined }],
      ['cart', { data: ['shoe', 'hat'], expires: 4102444800000 }],
      ['lastVisit', { data: new Date(Date.UTC(2024, 1, 29, 12, 0, 0)), expires: undefined }],
      ['fav', { data: new URL('https://example.com/a?b=1'), expires: undefined }],
      ['tags', { data: new Set(['a', 'b']), expires: undefined }],
      ['big', { data: 123n, expires: undefined }],
    ]);
    await storage.setItem(id, stringify(data, reducers));
  } else if (cmd === 'read') {
    const m = await load(id);
    process.stdout.write(m == null ? 'null' : stringify(m, reducers));
  } else if (cmd === 'set') {
    const m = (await load(id)) ?? new Map();
    m.set(key, { data: JSON.parse(json), expires: undefined });
    await storage.setItem(id, stringify(m, reducers));
  } else {
    throw new Error('unknown command ' + cmd);
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await storage.dispose();
}
