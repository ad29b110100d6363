// The Node side of sesh's devalue tests.
//   node peer.js corpus          → prints [{name, plain, astro}] for a set of JavaScript values
//   node peer.js check <file>    → reads [{name, text, astro}] and prints, for each, devalue's
//                                   re-stringification of devalue's parse of text
const fs = require('node:fs');

async function main() {
  const devalue = await import('devalue');
  const astroReducers = { URL: (v) => v instanceof URL && v.href };
  const astroRevivers = { URL: (href) => new URL(href) };
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
    const values = {
      string: 'hello', empty: '', unicode: 'héllo 日本 😀', escapes: '"</script>\\\n\r\t\b\f\u2028\u2029\u0001',
      integer: 42, negative: -7.5, small: 1e-7, micro: 0.000001, large: 1e21, big: 123456789012345680000, frac: 0.1 + 0.2,
      nan: NaN, inf: Infinity, ninf: -Infinity, negzero: -0, zero: 0, undef: undefined, nul: null, t: true, f: false,
      bigint: 12345678901234567890n, negbigint: -5n,
      date: new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)), invalidDate: new Date(NaN), farDate: new Date(Date.UTC(12345, 0, 1)),
      regexp: /a+b?\/c/gi, plainRegexp: /x/,
      set: new Set([1, 'a', shared, shared]), map: new Map([[1, 'one'], ['two', 2], [shared, shared]]),
      object: { b: 1, a: [1, 2, { c: 'd' }], 10: 'ten', 2: 'two', nested: { deep: { deeper: [null, undefined] } } },
      repeated: [shared, shared, 'x', 'x', 1, 1], cyclic, cyclicArray: arr, sparse, holes, nullProto,
      url: new URL('https://example.com/path?q=1#h'), session,
    };
    const out = Object.entries(values).map(([name, v]) => ({
      name,
      plain: devalue.stringify(v),
      astro: devalue.stringify(v, astroReducers),
    }));
    process.stdout.write(JSON.stringify(out));
    return;
  }
  if (cmd === 'check') {
    const cases = JSON.parse(fs.readFileSync(file, 'utf8'));
    const out = cases.map(({ name, text, astro }) => {
      try {
        const v = astro ? devalue.parse(text, astroRevivers) : devalue.parse(text);
        return { name, text: astro ? devalue.stringify(v, astroReducers) : devalue.stringify(v) };
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
