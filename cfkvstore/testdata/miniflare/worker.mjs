// The test Worker: Cloudflare's Workers KV REST API, for exactly the calls
// cfkvstore makes, served by miniflare (workerd) on its own KV binding, so
// that the store is tested against Cloudflare's local KV implementation and
// would work against https://api.cloudflare.com/client/v4 unchanged.
//
// Routes (under /client/v4/accounts/{account}/storage/kv/namespaces/{ns}),
// the store's and those its tests use to look at what it wrote:
//
//   GET    /values/{key}    the raw value; "expiration" header (epoch s)
//   PUT    /values/{key}    ?expiration= | ?expiration_ttl=; a raw body, or
//                           multipart/form-data with "value" and "metadata"
//   DELETE /values/{key}
//   GET    /keys            ?prefix= &cursor= &limit= (10..1000)
//   POST   /bulk/get        {"keys":[…≤100], "type":"text"|"json", "withMetadata":bool}
//   POST   /bulk/delete     ["key", …≤10000]
//
// Every answer but a value is the API's envelope {success, errors, messages,
// result[, result_info]}. Authorization ("Bearer <token>") is checked
// first, then the account and the namespace. The KV
// binding itself validates keys, expirations (at least 60 s ahead: the real
// service's rule, enforced by miniflare's KV too), metadata and value sizes;
// its errors ("KV PUT failed: 400 …") keep their status here. Error codes:
// 10000 (authentication), 6003/6111 (malformed Authorization header), 10009
// (key not found), 10013 (namespace not found) and 7003 (no route) are
// those reported for the real API; the others are this Worker's own, and
// the store reads only 10009, 10000 and 6111.

const API = "/client/v4/";

function envelope(status, result, errors = [], extra = {}) {
	return new Response(
		JSON.stringify({ success: errors.length === 0, errors, messages: [], result, ...extra }),
		{ status, headers: { "content-type": "application/json" } },
	);
}

function fail(status, code, message, chain) {
	const e = { code, message };
	if (chain) e.error_chain = chain;
	return envelope(status, null, [e]);
}

// fromBinding turns an error thrown by the KV binding into the API's answer.
function fromBinding(op, err) {
	const m = /KV \w+ failed: (\d{3}) (.*)$/s.exec(String(err && err.message));
	if (m) return fail(Number(m[1]), 10001, `${op}: ${m[2]}`);
	return fail(500, 10002, `${op}: ${String(err && err.message)}`);
}

// expirationOf returns the expiration (epoch seconds) of key, which the
// binding's get does not report: its list does, and key sorts first among
// the keys it prefixes.
async function expirationOf(kv, key) {
	const l = await kv.list({ prefix: key, limit: 1 });
	const k = l.keys[0];
	return k && k.name === key ? k.expiration : undefined;
}

function decodeKey(raw) {
	try {
		return decodeURIComponent(raw);
	} catch {
		return null;
	}
}

async function putValue(req, kv, key, url) {
	let value;
	let metadata;
	const type = req.headers.get("content-type") || "";
	if (type.toLowerCase().startsWith("multipart/form-data")) {
		let form;
		try {
			form = await req.formData();
		} catch (e) {
			return fail(400, 10001, "put: malformed multipart body");
		}
		const v = form.get("value");
		if (v === null) return fail(400, 10001, "put: missing value field");
		value = typeof v === "string" ? v : await v.arrayBuffer();
		const md = form.get("metadata");
		if (md !== null) {
			try {
				metadata = JSON.parse(typeof md === "string" ? md : await md.text());
			} catch {
				return fail(400, 10001, "put: metadata is not JSON");
			}
		}
	} else {
		value = await req.arrayBuffer();
	}
	const opts = {};
	const ttl = url.searchParams.get("expiration_ttl");
	const exp = url.searchParams.get("expiration");
	// If both are set, expiration_ttl is used and expiration is ignored.
	if (ttl !== null) opts.expirationTtl = Number(ttl);
	else if (exp !== null) opts.expiration = Number(exp);
	if (metadata !== undefined) opts.metadata = metadata;
	try {
		await kv.put(key, value, opts);
	} catch (e) {
		return fromBinding("put", e);
	}
	return envelope(200, {});
}

async function listKeys(kv, url) {
	const opts = {};
	const prefix = url.searchParams.get("prefix");
	const cursor = url.searchParams.get("cursor");
	const limit = url.searchParams.get("limit");
	if (prefix) opts.prefix = prefix;
	if (cursor) opts.cursor = cursor;
	if (limit !== null) {
		const n = Number(limit);
		if (!Number.isInteger(n) || n < 10 || n > 1000) {
			return fail(400, 10001, `list keys: invalid limit ${limit}: want 10 to 1000`);
		}
		opts.limit = n;
	}
	let l;
	try {
		l = await kv.list(opts);
	} catch (e) {
		return fromBinding("list keys", e);
	}
	const keys = l.keys.map((k) => {
		const o = { name: k.name };
		if (k.expiration !== undefined) o.expiration = k.expiration;
		if (k.metadata !== undefined) o.metadata = k.metadata;
		return o;
	});
	return envelope(200, keys, [], {
		result_info: { count: keys.length, cursor: l.list_complete ? "" : l.cursor },
	});
}

async function bulkGet(req, kv) {
	let body;
	try {
		body = await req.json();
	} catch {
		return fail(400, 10001, "bulk get: body is not JSON");
	}
	const keys = body && body.keys;
	if (!Array.isArray(keys) || keys.length === 0 || keys.length > 100 || !keys.every((k) => typeof k === "string")) {
		return fail(400, 10001, "bulk get: keys must be an array of 1 to 100 strings");
	}
	const type = body.type === "json" ? "json" : "text";
	const values = {};
	try {
		if (body.withMetadata) {
			const m = await kv.getWithMetadata(keys, { type });
			for (const k of keys) {
				const v = m.get(k);
				if (v === null || v === undefined || v.value === null) {
					values[k] = null;
					continue;
				}
				const o = { value: v.value, metadata: v.metadata ?? null };
				const exp = await expirationOf(kv, k);
				if (exp !== undefined) o.expiration = exp;
				values[k] = o;
			}
		} else {
			const m = await kv.get(keys, { type });
			for (const k of keys) values[k] = m.get(k) ?? null;
		}
	} catch (e) {
		return fromBinding("bulk get", e);
	}
	return envelope(200, { values });
}

async function bulkDelete(req, kv) {
	let keys;
	try {
		keys = await req.json();
	} catch {
		return fail(400, 10001, "bulk delete: body is not JSON");
	}
	if (!Array.isArray(keys) || keys.length > 10000 || !keys.every((k) => typeof k === "string")) {
		return fail(400, 10001, "bulk delete: want an array of at most 10000 key names");
	}
	try {
		for (const k of keys) await kv.delete(k);
	} catch (e) {
		return fromBinding("bulk delete", e);
	}
	return envelope(200, { successful_key_count: keys.length, unsuccessful_keys: [] });
}

async function handle(req, env) {
	const url = new URL(req.url);
	if (!url.pathname.startsWith(API)) {
		return fail(404, 7003, `Could not route to ${url.pathname}, perhaps your object identifier is invalid?`);
	}
	const auth = req.headers.get("authorization");
	const bearer = auth && /^Bearer ([^\s]+)$/.exec(auth);
	if (!bearer) {
		return fail(400, 6003, "Invalid request headers", [{ code: 6111, message: "Invalid format for Authorization header" }]);
	}
	if (bearer[1] !== env.TOKEN) return fail(403, 10000, "Authentication error");
	// accounts/{a}/storage/kv/namespaces/{n}/{rest…}
	const parts = url.pathname.slice(API.length).split("/");
	if (parts.length < 7 || parts[0] !== "accounts" || parts[2] !== "storage" || parts[3] !== "kv" || parts[4] !== "namespaces") {
		return fail(404, 7003, `Could not route to ${url.pathname}, perhaps your object identifier is invalid?`);
	}
	if (parts[1] !== env.ACCOUNT) return fail(403, 10000, "Authentication error");
	const route = parts.slice(6);
	const op = { GET: "get", PUT: "put", DELETE: "remove key", POST: "bulk" }[req.method] || req.method;
	if (parts[5] !== env.NAMESPACE) return fail(404, 10013, `${op}: 'namespace not found'`);
	const kv = env.KV;

	if (route[0] === "values" && route.length === 2) {
		const key = decodeKey(route[1]);
		if (key === null) return fail(400, 10001, "Could not URL-decode key name");
		switch (req.method) {
			case "GET": {
				let v;
				try {
					v = await kv.get(key, { type: "arrayBuffer" });
				} catch (e) {
					return fromBinding("get", e);
				}
				if (v === null) return fail(404, 10009, "get: 'key not found'");
				const headers = { "content-type": "application/octet-stream" };
				const exp = await expirationOf(kv, key);
				if (exp !== undefined) headers.expiration = String(exp);
				return new Response(v, { status: 200, headers });
			}
			case "PUT":
				return putValue(req, kv, key, url);
			case "DELETE":
				try {
					await kv.delete(key);
				} catch (e) {
					return fromBinding("remove key", e);
				}
				return envelope(200, {});
		}
		return fail(405, 10000, "method not allowed");
	}
	if (route.length === 1 && route[0] === "keys" && req.method === "GET") return listKeys(kv, url);
	if (route.length === 2 && route[0] === "bulk" && route[1] === "get" && req.method === "POST") return bulkGet(req, kv);
	if (route.length === 2 && route[0] === "bulk" && route[1] === "delete" && req.method === "POST") return bulkDelete(req, kv);
	return fail(404, 7003, `Could not route to ${url.pathname}, perhaps your object identifier is invalid?`);
}

export default {
	async fetch(req, env) {
		try {
			return await handle(req, env);
		} catch (e) {
			return fail(500, 10002, `internal error: ${e && e.message}`);
		}
	},
};
