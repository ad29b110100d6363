// The Node side of sesh's devalue tests.
//   node peer.js corpus          → prints [{name, plain, astro}] for a set of JavaScript values
//   node peer.js session         → an Astro session holding a value of every type devalue writes
//   node peer.js random <n> <seed>
//                                → prints [{name, plain, astro}] for n random values of every type
//   node peer.js check <file>    → reads [{name, text, astro, custom}] and prints, for each, devalue's
//                                   re-stringification of devalue's parse of text (custom: names of
//                                   custom reducers' types, read and written back as they are)
//   DEVALUE_PEER=serve node peer.js
//                                → prints "LISTENING <port>" and answers POST {s, plain, astro}
//                                   with {plain: {orig, origErr, out, outErr}, astro: {…}}: devalue's
//                                   re-stringification of s and of Go's output, without reducers
//                                   and with Astro's URL reducer
// Node 20 has no Temporal; the polyfill is the one devalue's own tests use.
const fs = require('node:fs');
const http = require('node:http');

async function main() {
  globalThis.Temporal ??= (await import('@js-temporal/polyfill')).Temporal;
  const devalue = await import('devalue');
  const astroReducers = { URL: (v) => v instanceof URL && v.href };
  const astroRevivers = { URL: (href) => new URL(href) };

  // A value of a custom type, as a reviver gives it back to its reducer.
  class Tagged {
    constructor(type, value) { this.type = type; this.value = value; }
  }
  const custom = (names) => {
    const reducers = {}, revivers = {};
    for (const name of names || []) {
      reducers[name] = (v) => v instanceof Tagged && v.type === name && v.value;
      revivers[name] = (v) => new Tagged(name, v);
    }
    return { reducers, revivers };
  };
  const reread = (text, astro, names) => {
    const c = custom(names);
    const revivers = { ...c.revivers, ...(astro ? astroRevivers : {}) };
    const reducers = { ...c.reducers, ...(astro ? astroReducers : {}) };
    return devalue.stringify(devalue.parse(text, revivers), reducers);
  };
  const attempt = (text, astro) => {
    try {
      return { text: reread(text, astro) };
    } catch (err) {
      return { err: String(err) };
    }
  };

  if (process.env.DEVALUE_PEER === 'serve') {
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        const { s, plain, astro } = JSON.parse(body);
        const out = {};
        for (const [mode, goText, isAstro] of [['plain', plain, false], ['astro', astro, true]]) {
          const orig = attempt(s, isAstro);
          const r = { orig: orig.text ?? null, origErr: orig.err ?? '' };
          if (goText != null) {
            const back = attempt(goText, isAstro);
            r.out = back.text ?? null;
            r.outErr = back.err ?? '';
          }
          out[mode] = r;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(out));
      });
    });
    server.listen(0, '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
    process.on('SIGINT', () => server.close(() => process.exit(0)));
    return;
  }

  const [cmd, file] = process.argv.slice(2);
  if (cmd === 'corpus') {
    const shared = { shared: true };
    const cyclic = { name: 'loop' }; cyclic.self = cyclic;
    const arr = [1, 2]; arr.push(arr);
    const sparse = []; sparse[1000] = 'x';
    const holes = [1, , 3];
    const nullProto = Object.create(null); nullProto.a = 1; nullProto.b = 'two';
    const session = new Map([
      ['cart', { data: ['shoe', 'hat'], expires: 1700000000000 }],
      ['lastVisit', { data: new Date(0) }],
      ['fav', { data: new URL('https://example.com/a?b=1') }],
      ['tags', { data: new Set(['a', 'b']) }],
      ['big', { data: 123n }],
    ]);
    const buf = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
    const values = {
      string: 'hello', empty: '', unicode: 'héllo 日本 😀', escapes: '"</script>\\\n\r\t\b\f\u2028\u2029\u0001',
      integer: 42, negative: -7.5, small: 1e-7, micro: 0.000001, large: 1e21, big: 123456789012345680000, frac: 0.1 + 0.2,
      nan: NaN, inf: Infinity, ninf: -Infinity, negzero: -0, zero: 0, undef: undefined, nul: null, t: true, f: false,
      bigint: 12345678901234567890n, negbigint: -5n,
      date: new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)), invalidDate: new Date(NaN), farDate: new Date(Date.UTC(12345, 0, 1)),
      regexp: /a+b?\/c/gi, plainRegexp: /x/, unicodeSetsRegexp: /[\p{L}--[a-z]]/v,
      set: new Set([1, 'a', shared, shared]), map: new Map([[1, 'one'], ['two', 2], [shared, shared]]),
      object: { b: 1, a: [1, 2, { c: 'd' }], 10: 'ten', 2: 'two', nested: { deep: { deeper: [null, undefined] } } },
      repeated: [shared, shared, 'x', 'x', 1, 1], cyclic, cyclicArray: arr, sparse, holes, nullProto,
      url: new URL('https://example.com/path?q=1#h'), session,
      oddURL: new URL('https://example.com/a|b/%zz?x=<y>#`'),
      searchParams: new URLSearchParams('q=a b&q=ü&e=&=x&a%26b=c%3Dd'),
      uint8: new Uint8Array([1, 2, 255]), int16: new Int16Array([-1, 300]), float32: new Float32Array([1.5, -0, NaN]),
      clamped: new Uint8ClampedArray([0, 255]), uint16: new Uint16Array([65535]), int32: new Int32Array([-5]),
      uint32: new Uint32Array([4294967295]), float64: new Float64Array([Math.PI]), bigint64: new BigInt64Array([-1n]),
      biguint64: new BigUint64Array([2n ** 64n - 1n]), int8: new Int8Array([-128]),
      sharedBuffer: [new Uint8Array(buf), new Uint16Array(buf, 2, 2), new DataView(buf, 1, 3), buf],
      arrayBuffer: new ArrayBuffer(5), dataView: new DataView(new ArrayBuffer(2)),
      boxedString: new String('x'), boxedNumber: new Number(1), boxedNaN: new Number(NaN), boxedTrue: new Boolean(true),
      boxedBigInt: Object(1n), boxedShared: ((b) => [b, b])(new String('s')),
      instant: Temporal.Instant.from('2024-02-29T12:34:56.789Z'), duration: Temporal.Duration.from({ hours: 1 }),
      zoned: Temporal.ZonedDateTime.from('2024-02-29T12:34:56+01:00[Europe/Paris]'),
      plainDate: Temporal.PlainDate.from('2024-02-29'),
    };
    const out = Object.entries(values).map(([name, v]) => ({
      name,
      plain: devalue.stringify(v),
      astro: devalue.stringify(v, astroReducers),
    }));
    process.stdout.write(JSON.stringify(out));
    return;
  }
  if (cmd === 'random') {
    // node peer.js random <count> <seed> → [{name, plain, astro}] for random values of every type
    const count = Number(file), seed = Number(process.argv[4] || 1);
    let state = seed >>> 0 || 1;
    const rnd = () => { // xorshift32
      state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
      return state / 4294967296;
    };
    const int = (n) => Math.floor(rnd() * n);
    const pick = (a) => a[int(a.length)];
    const bytes = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = int(256); return b; };
    const double = () => new Float64Array(bytes(8).buffer)[0];
    const number = () => pick([double, () => int(1000) - 500, () => (int(2e6) - 1e6) / 1000, () => pick([0, -0, NaN, Infinity, -Infinity, 1e21, 1e-7, 5e-324, 2 ** 53]), () => double() * 1e-300])();
    const string = () => {
      let s = '';
      const n = int(12);
      for (let i = 0; i < n; i++) {
        s += pick([
          () => String.fromCharCode(int(128)), () => String.fromCharCode(0x80 + int(0x780)),
          () => String.fromCodePoint(0x10000 + int(0xfffff)), // no lone surrogates: Node writes them as U+FFFD
          () => pick(['<', '>', '"', '\\', '\u2028', '\u2029', '&', '=', '+', '%', ' ', '?', '#', '/']),
        ])();
      }
      return s;
    };
    const key = () => pick([string, () => String(int(20)), () => String(2 ** 32 - 2 + int(3)), () => '0' + int(10), () => 'k' + int(5)])();
    const views = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
      'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
    const temporal = () => pick([
      () => Temporal.Instant.fromEpochMilliseconds(int(2e12) - 1e12), () => Temporal.Duration.from({ hours: int(100), minutes: int(60) }),
      () => Temporal.PlainDate.from({ year: 1 + int(3000), month: 1 + int(12), day: 1 + int(28) }),
      () => Temporal.PlainTime.from({ hour: int(24), minute: int(60), second: int(60), millisecond: int(1000) }),
    ])();
    const value = (depth, pool) => {
      if (pool.length && rnd() < 0.1) return pick(pool); // a shared reference (or a cycle)
      const leaf = depth > 3 || rnd() < 0.35;
      const kinds = leaf
        ? ['number', 'string', 'bool', 'null', 'undef', 'bigint', 'date', 'regexp', 'url', 'search', 'boxed', 'typed', 'buffer', 'temporal']
        : ['array', 'sparse', 'object', 'nullproto', 'map', 'set'];
      let v;
      switch (pick(kinds)) {
        case 'number': return number();
        case 'string': return string();
        case 'bool': return rnd() < 0.5;
        case 'null': return null;
        case 'undef': return undefined;
        case 'bigint': return BigInt.asIntN(64 + int(200), BigInt('0x' + Buffer.from(bytes(1 + int(30))).toString('hex')));
        case 'date': return new Date(pick([() => int(2e12) - 1e12, () => (int(2) * 2 - 1) * int(8.64e15), () => NaN, () => 253402300800000 + int(1e12)])());
        case 'regexp': {
          const src = pick(['a+', '[/]', 'x\\/y', '\\d{2,}', '(?<n>.)\\k<n>', '^$', '', '\n']);
          return new RegExp(src, pick(src === '[/]' ? ['', 'g', 'dimsuy'] : ['', 'g', 'gi', 'dimsuy', 'v', 'y']));
        }
        case 'url': return new URL(pick(['https://example.com/', 'http://[::1]:8080/a?b#c', 'https://例え.jp/パス?q=ü', 'file:///tmp/x', 'data:text/plain,hi', 'https://e.com/a|b/%zz?x=<y>#`']));
        case 'search': { const p = new URLSearchParams(); for (let i = int(4); i > 0; i--) p.append(string(), string()); return p; }
        case 'boxed': return Object(pick([string, number, () => rnd() < 0.5, () => BigInt(int(1000) - 500)])());
        case 'typed': {
          const T = globalThis[pick(views)], n = 1 + int(6);
          const buf = bytes(n * T.BYTES_PER_ELEMENT + T.BYTES_PER_ELEMENT * int(3)).buffer;
          return rnd() < 0.5 ? new T(buf) : new T(buf, T.BYTES_PER_ELEMENT * int(2), int(n));
        }
        case 'buffer': return rnd() < 0.5 ? bytes(int(20)).buffer : new DataView(bytes(10).buffer, int(5), int(5));
        case 'temporal': return temporal();
        case 'array': { v = []; pool.push(v); for (let i = int(6); i > 0; i--) v.push(value(depth + 1, pool)); if (rnd() < 0.3) delete v[int(v.length)]; return v; }
        case 'sparse': { v = []; pool.push(v); v.length = int(5000); for (let i = int(4); i > 0 && v.length; i--) v[int(v.length)] = value(depth + 1, pool); return v; }
        case 'object': case 'nullproto': { v = rnd() < 0.5 ? {} : Object.create(null); pool.push(v); for (let i = int(6); i > 0; i--) { const k = key(); if (k !== '__proto__') v[k] = value(depth + 1, pool); } return v; }
        case 'map': { v = new Map(); pool.push(v); for (let i = int(5); i > 0; i--) v.set(value(depth + 1, pool), value(depth + 1, pool)); return v; }
        case 'set': { v = new Set(); pool.push(v); for (let i = int(5); i > 0; i--) v.add(value(depth + 1, pool)); return v; }
      }
    };
    const out = [];
    for (let i = 0; i < count; i++) {
      const v = value(0, []);
      out.push({ name: 'random ' + seed + '/' + i, plain: devalue.stringify(v), astro: devalue.stringify(v, astroReducers) });
    }
    process.stdout.write(JSON.stringify(out));
    return;
  }
  if (cmd === 'session') {
    // node peer.js session → an Astro session (Map<key, {data, expires}>, Astro's URL reducer)
    // holding a value of every type devalue writes, keys in the order Go writes them (sorted)
    const buf = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
    const cyclic = { name: 'loop' }; cyclic.self = cyclic;
    const sparse = []; sparse[100000] = 'x';
    const nullProto = Object.create(null); nullProto.a = 1;
    const values = {
      user: 'bob', cart: ['shoe', 'hat'], prefs: { theme: 'dark', size: 12 }, markerLike: { __devalue: 'hi' },
      markerLikeDate: { __devalue: '[["Date","2024-01-01T00:00:00.000Z"]]' },
      date: new Date(Date.UTC(2024, 1, 29)), invalidDate: new Date(NaN), url: new URL('https://example.com/a|b?c=<d>'),
      search: new URLSearchParams('q=a b&q=ü'), regexp: /a\/b/giv, map: new Map([[1, 'one']]), set: new Set(['a', 1n]),
      bigint: 12345678901234567890n, undef: undefined, nan: NaN, inf: -Infinity, negZero: -0,
      uint8: new Uint8Array([1, 2, 3]), int8: new Int8Array([-1]), clamped: new Uint8ClampedArray([255]),
      int16: new Int16Array([-2]), uint16: new Uint16Array([2]), int32: new Int32Array([-3]), uint32: new Uint32Array([3]),
      float32: new Float32Array([0.5]), float64: new Float64Array([-0]), bigint64: new BigInt64Array([-4n]),
      biguint64: new BigUint64Array([4n]), arrayBuffer: new ArrayBuffer(3),
      dataView: new DataView(buf.slice(0), 2, 4), // its own buffer: Astro clones each value it sets
      sharedViews: [new Uint8Array(buf), new Uint16Array(buf, 2, 1)],
      boxedString: new String('x'), boxedNumber: new Number(1), boxedBool: new Boolean(true), boxedBigInt: Object(1n),
      instant: Temporal.Instant.from('2024-02-29T12:00:00Z'), plainDate: Temporal.PlainDate.from('2024-02-29'),
      duration: Temporal.Duration.from({ days: 1 }), zoned: Temporal.ZonedDateTime.from('2024-02-29T12:00:00+01:00[Europe/Paris]'),
      cyclic, sparse, holes: [1, , 3], nullProto, repeated: Array(50).fill('a long string that devalue writes once, JSON fifty times'),
    };
    const session = new Map(Object.keys(values).sort().map((k) => [k, { data: values[k], expires: k === 'cart' ? 4102444800000 : undefined }]));
    process.stdout.write(devalue.stringify(session, astroReducers));
    return;
  }
  if (cmd === 'check') {
    const cases = JSON.parse(fs.readFileSync(file, 'utf8'));
    const out = cases.map(({ name, text, astro, custom: names }) => {
      try {
        return { name, text: reread(text, astro, names) };
      } catch (err) {
        return { name, error: String(err) };
      }
    });
    process.stdout.write(JSON.stringify(out));
    return;
  }
  throw new Error('unknown command ' + cmd);
}
main().catch((err) => { console.error(err); process.exit(1); });
