// Writes devalue-5.9.1-fixtures.json: the fixture table (suite, name, the
// JSON devalue.stringify writes) and the parse-error table of devalue
// 5.9.1's test/index.test.js, which fixtures_test.go ports.
//
//   git clone https://github.com/sveltejs/devalue && cd devalue && git checkout v5.9.1
//   npm install --no-save @js-temporal/polyfill@0.5.1 uvu@0.5.6   (or link them in)
//   cp <this file> test/ && node test/dump.mjs > devalue-5.9.1-fixtures.json
//
// It loads a copy of the test file with uvu stubbed out (so no test runs)
// and the two tables exported.
import fs from 'node:fs';

let src = fs.readFileSync(new URL('./index.test.js', import.meta.url), 'utf8');
src = src.replace(
	"import * as uvu from 'uvu';",
	'const noop = () => {}; const uvu = { suite: () => Object.assign(noop, { run: noop }), test: Object.assign(noop, { run: noop }) };'
);
src += '\nexport { fixtures, invalid };\n';
const copy = new URL('./dump-src.mjs', import.meta.url);
fs.writeFileSync(copy, src);
const { fixtures, invalid } = await import(copy);
fs.unlinkSync(copy);

const out = { fixtures: [], invalid: [] };
for (const [suite, tests] of Object.entries(fixtures)) {
	for (const t of tests) out.fixtures.push({ suite, name: t.name, json: t.json, custom: !!t.reducers });
}
for (const t of invalid) out.invalid.push({ name: t.name, json: t.json, message: t.message });
process.stdout.write(JSON.stringify(out, null, 1));
