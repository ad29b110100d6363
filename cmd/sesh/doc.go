// Command sesh operates session stores in production: it lists, shows and
// ends sessions, purges expired records, counts sessions, copies them from
// one store to another, and checks that a store answers. It works on every
// store sesh knows, named by the same URLs as sesh.Open.
//
//	go install github.com/sesh-go/sesh/cmd/sesh@latest
//
// # Stores
//
// A store is a URL:
//
//	file:///var/lib/app/sessions                  filestore
//	sqlite:///var/lib/app/sessions.db             sqlitestore
//	postgres://app@db.internal/app?table=sessions  pgstore
//	mysql://app@db.internal:3306/app               mysqlstore
//	redis://cache.internal:6379/0?prefix=sess:     redisstore (also rediss://, redis+cluster://, redis+sentinel://)
//	nats://nats.internal:4222/sessions             natsstore
//	memcache://cache.internal:11211                memcachestore
//	dynamodb://sessions?region=eu-west-1           dynamostore (layout=arc: Remix's Arc table)
//	cfkv://ACCOUNT_ID/NAMESPACE_ID                 cfkvstore (layout=remix: Remix's Workers KV layout)
//	connectredis://cache.internal:6379/0           connect-redis's layout (express-session, Astro's unstorage)
//	connectpg://app@db.internal/app                connect-pg-simple's table (express-session)
//
// Give the URL as the first argument, or keep it (and its password) off the
// command line, out of the shell history and out of ps: put it in a file
// and pass --url-file FILE, or set SESH_URL. copy reads SESH_SRC_URL and
// SESH_DST_URL, or --src-file and --dst-file. A password is never printed:
// every URL in the output, and every error message, has it replaced by
// "xxxxx" (so have query parameters whose name says pass, secret, token,
// key, credential or auth).
//
// # Sessions are named by handle
//
// Every command names a session by its handle: 18 hexadecimal digits, a
// one-way tag of the store key (sesh.Handle; the handle
// Manager.UserSessions and the Manager's log lines show). sesh never prints
// a session ID or a store key, which in interop layouts (connect-redis,
// Remix's, Astro's) is the session ID itself, and refuses an argument that
// is not a handle without repeating it.
//
// Records that are not sessions are skipped and counted apart by ls, stats
// and copy: tombstones (records with no data, which a Regenerate leaves at
// the old key for two minutes) and locks (keys starting with "lock:", the
// leases of Config.Serialize).
//
// # Commands
//
//	sesh ls [URL] [--user U] [--limit N]
//
// Lists sessions, newest first: handle, user, created, last seen, expires,
// size in bytes, user agent. "Last seen" is estimated as the expiry minus
// the application's idle timeout (--idle, default sesh's 30m; 0 leaves it
// out). With --user, the store's user index is used where it has one.
//
//	sesh show [URL] HANDLE [--raw]
//
// Shows a session's metadata and its values as indented JSON; --raw writes
// the stored bytes exactly, and nothing else.
//
//	sesh end [URL] HANDLE
//	sesh end [URL] --user U [--except HANDLE]
//
// Ends (deletes) one session, or every session of a user but the one
// --except names ("sign out everywhere else"). It asks for confirmation on
// the terminal; without a terminal on stdin it refuses unless --yes is
// given.
//
//	sesh purge [URL] --expired
//
// Deletes the expired records now, for stores whose engine keeps them
// (the SQL stores, which also do it in the background, filestore,
// connectpg). A store that expires records itself (Redis, NATS, memcached,
// DynamoDB, Workers KV) has nothing to purge: exit code 4.
//
//	sesh stats [URL] [--top N]
//
// Counts sessions and their bytes, distinct users and anonymous sessions,
// sessions by size (up to 256 B, 1, 4, 16, 64 KiB, more), and lists the
// users with the most sessions.
//
//	sesh copy SRC DST [--dry-run] [--workers N] [--move]
//
// Copies every live session from SRC to DST with its data, expiry and user,
// skipping tombstones and locks. A key DST already holds is left alone, so
// an interrupted copy resumes where it stopped and a second run copies
// nothing. Each copy is an insert-if-absent where DST has compare-and-set
// (versions are the destination's own), and is checked against SRC
// afterwards: a session that ended or changed in SRC while it was being
// copied is taken back and counted as changed (run again to pick the
// changes up), so a logout racing its session's copy is not undone.
// --dry-run counts what would be
// copied. --workers N copies N sessions at a time (default 16; a PostgreSQL
// URL without pool_max_conns gets a pool of N connections). Progress goes
// to stderr: a bar on a terminal, a line every two seconds otherwise.
//
// A copy is a snapshot: a session an application changes or ends in SRC
// after it was copied keeps its copied state in DST (a logout after the
// copy is not seen there). To switch a running application to
// another store without signing anyone out, deploy it on
// sesh.Migrating(old, new), which moves each session the first time it is
// written; then, optionally, `sesh copy --move OLD NEW` moves the sessions
// nobody is using (each source record ends once copied, on the condition
// that it has not changed); once OLD is empty (`sesh stats OLD`), deploy on
// NEW alone. Do not run a plain copy into the new store of an application
// running on Migrating: use --move. During the migration, end sessions
// through the application, or with `sesh end` on both stores, the old one
// first.
//
//	sesh ping [URL]
//
// Checks that the store's server answers (a readiness probe). filestore
// and memstore have no server: exit code 4.
//
// Every command takes --json, which prints one JSON document on stdout for
// scripts (times are RFC 3339 in UTC, or null when unknown), and --timeout
// D to give up after D. ls, show, end and stats take --codec
// json|express|remix|astro, which decodes the data of stores shared with
// express-session, Remix or Astro (the compat packages' formats; the
// default is sesh's JSON). Run `sesh help COMMAND` for a command's flags.
// Flags may come before or after the arguments.
//
// # Exit codes
//
//	0  done
//	1  error: the store failed, a confirmation was declined, data did not decode
//	2  usage: a bad command line, an unknown URL scheme, or a confirmation
//	   that cannot be asked (no terminal and no --yes)
//	3  not found: the handle or user named matched no live session
//	4  unsupported: the store lacks the capability the command needs, and
//	   the message names it: listing (sesh.Lister) for ls, show, end HANDLE,
//	   stats and copy's source; sesh.Purger for purge; sesh.Pinger for ping
package main
