// Package seshotel reports what a sesh.Manager does as OpenTelemetry
// metrics and spans.
//
//	obs := seshotel.New() // the global MeterProvider and TracerProvider
//	m, err := sesh.New(sesh.Config{Store: store, Observer: obs})
//
// WithMeterProvider and WithTracerProvider choose other providers;
// WithAttributes adds attributes that tell several Managers apart. One
// Observer may serve several Managers.
//
// # Metrics
//
// Names follow OpenTelemetry's semantic-convention style. The Prometheus
// exporter (go.opentelemetry.io/otel/exporters/prometheus, default
// translation) turns dots into underscores, adds _seconds to the
// histograms and _total to the counters, and drops the {…} units:
// sesh.sessions.created becomes sesh_sessions_created_total.
//
//	sesh.store.operation.duration  histogram, s   every store call the Manager makes
//	    sesh.store.operation: get, set, swap, touch, delete, create, by_user, lock, unlock
//	    sesh.store.type:      the store's Go type, e.g. *redisstore.Store
//	    sesh.store.outcome:   ok, not_found, conflict, canceled, timeout, error
//	sesh.sessions.created          counter       sessions stored (or sealed) for the first time
//	sesh.sessions.regenerated      counter       sessions moved to a new ID
//	sesh.sessions.destroyed        counter       sessions deleted (Destroy, EndSession, EndUserSessions)
//	sesh.sessions.expired          counter       loaded sessions past their absolute timeout
//	sesh.sessions.revoked          counter       loaded sessions ended by Config.Revoked
//	sesh.commit.replays            counter       lost compare-and-sets whose changes were replayed
//	sesh.commit.conflicts          counter       commits that gave up (*sesh.ConflictError)
//	sesh.commit.lost               counter       commits dropped; sesh.lost_to: destroy or move
//	sesh.cookie.too_large          counter       cookie-only sessions that did not fit their cookie
//	sesh.session.too_large         counter       server-side sessions over Config.MaxSize
//	sesh.session.decode_failures   counter       stored sessions or cookies that did not decode
//	sesh.store.corrupt_records     counter       records the store reported corrupt
//	sesh.responses.fail_closed     counter       responses from the ErrorHandler; error.type:
//	                                             conflict, cookie_too_large, too_large, canceled, timeout, _OTHER
//	sesh.lock.wait.duration        histogram, s  waits for a session's lock (Config.Serialize)
//
// The outcome of a store call comes from errors.Is: sesh.ErrNotFound is
// not_found, sesh.ErrConflict conflict, context.Canceled canceled,
// context.DeadlineExceeded timeout, anything else error. A counter
// appears in an export only once it has counted something.
//
// # Traces
//
// Each store call is a span named "sesh.store <operation>" (e.g.
// "sesh.store get"), a child of the span in the request's context, with
// the operation, store type and outcome attributes above. Outcomes error,
// canceled and timeout set the span's status to Error; not_found and
// conflict are ordinary results and leave it unset. Lifecycle events are
// added as span events named "sesh.<kind>" (e.g. "sesh.regenerated") to
// the request's span when it is recording (an otelhttp handler's, say);
// events that happen outside a request's context (too_large,
// cookie_too_large, and the creation of a cookie-only session) have none.
//
// # What is never recorded
//
// No metric, span or span event carries a session ID, store key, user ID
// or session value. sesh hands the Observer none of them; the one thing it
// hands over that may hold one is an error (a store's error can name its
// key), and seshotel records only the classifications above, never an
// error's text.
//
// # Cost
//
// A Manager without an Observer pays one nil check per store call. With
// this one, a store call costs a cached attribute lookup, a clock read, one
// allocation for the completion function, and whatever the providers do;
// BenchmarkOverhead measures requests with no Observer, with this one on
// no-op providers, and with it on the SDK.
package seshotel
