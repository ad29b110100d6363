// cfkvstore's test engine. It runs, on 127.0.0.1:
//
//   - CFKV_PORT: miniflare (Cloudflare's workerd) with worker.mjs, which
//     serves the Workers KV REST API on a KV namespace binding;
//   - CFKV_PEER_PORT (opened last, so that a listening peer means all is
//     ready): a small HTTP server that runs @remix-run/cloudflare's
//     createWorkersKVSessionStorage on the same namespace (miniflare's
//     getKVNamespace), the Remix side of the interop test.
//
// The account, namespace and token the Worker accepts come from
// CFKV_ACCOUNT, CFKV_NAMESPACE and CFKV_TOKEN. Data lives in memory; the
// temporary files miniflare needs go under <tmp>/sesh-cfkvstore/<pid>, and
// those of runs that were killed are removed at the next start.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const root = path.join(os.tmpdir(), "sesh-cfkvstore");
fs.mkdirSync(root, { recursive: true });
for (const d of fs.readdirSync(root)) {
	const pid = Number(d);
	let alive = false;
	try {
		process.kill(pid, 0);
		alive = true;
	} catch (e) {
		alive = e.code === "EPERM";
	}
	if (!alive) fs.rmSync(path.join(root, d), { recursive: true, force: true });
}
const tmp = path.join(root, String(process.pid));
fs.mkdirSync(tmp, { recursive: true });
process.env.TMPDIR = tmp; // miniflare asks os.tmpdir() when it starts

const { Miniflare } = await import("miniflare");
const { createWorkersKVSessionStorage } = await import("@remix-run/cloudflare");

const port = Number(process.env.CFKV_PORT);
const peerPort = Number(process.env.CFKV_PEER_PORT);
const account = process.env.CFKV_ACCOUNT || "0123456789abcdef0123456789abcdef";
const namespace = process.env.CFKV_NAMESPACE || "fedcba9876543210fedcba9876543210";
const token = process.env.CFKV_TOKEN || "sesh-test-token";
if (!port || !peerPort) {
	console.error("CFKV_PORT and CFKV_PEER_PORT must be set");
	process.exit(2);
}

const mf = new Miniflare({
	modules: true,
	scriptPath: "worker.mjs",
	// A current date: among other things, multipart file parts parse as
	// Files (formdata_parser_supports_files), so binary values survive.
	compatibilityDate: "2026-04-01",
	kvNamespaces: { KV: namespace },
	bindings: { ACCOUNT: account, NAMESPACE: namespace, TOKEN: token },
	host: "127.0.0.1",
	port,
});
await mf.ready;
const kv = await mf.getKVNamespace("KV");

function storage(body) {
	return createWorkersKVSessionStorage({
		kv,
		cookie: { name: "__session", secrets: body.secrets, maxAge: body.maxAge, httpOnly: true, sameSite: "lax", path: "/" },
	});
}

// Peer routes, JSON in and out:
//   POST /remix/commit  {secrets, maxAge, cookie, set:{…}} -> {setCookie}
//   POST /remix/read    {secrets, cookie}                  -> {id, data}
//   POST /remix/destroy {secrets, cookie}                  -> {setCookie}
const peer = http.createServer(async (req, res) => {
	try {
		let raw = "";
		for await (const chunk of req) raw += chunk;
		const body = JSON.parse(raw || "{}");
		const st = storage(body);
		const session = await st.getSession(body.cookie || null);
		let out;
		switch (req.url) {
			case "/remix/commit":
				for (const [k, v] of Object.entries(body.set || {})) session.set(k, v);
				out = { setCookie: await st.commitSession(session) };
				break;
			case "/remix/read":
				out = { id: session.id, data: session.data };
				break;
			case "/remix/destroy":
				out = { setCookie: await st.destroySession(session) };
				break;
			default:
				res.writeHead(404).end();
				return;
		}
		res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
	} catch (e) {
		res.writeHead(500, { "content-type": "text/plain" }).end(String((e && e.stack) || e));
	}
});

async function stop() {
	peer.close();
	await mf.dispose();
	fs.rmSync(tmp, { recursive: true, force: true });
	process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

peer.listen(peerPort, "127.0.0.1", () => console.log(`LISTENING ${port} ${peerPort}`));
