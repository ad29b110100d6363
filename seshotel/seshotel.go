package seshotel

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sesh-go/sesh"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/sesh-go/sesh/seshotel"

// The attribute keys seshotel sets.
const (
	// OperationKey is the store method: get, set, swap, touch, delete,
	// create, by_user, lock or unlock (sesh.StoreCall.Op).
	OperationKey = attribute.Key("sesh.store.operation")
	// StoreTypeKey is the store's Go type, e.g. "*redisstore.Store".
	StoreTypeKey = attribute.Key("sesh.store.type")
	// OutcomeKey is the outcome of a store call: ok, not_found, conflict,
	// canceled, timeout or error.
	OutcomeKey = attribute.Key("sesh.store.outcome")
	// LostToKey tells the two kinds of lost commit apart: destroy or move.
	LostToKey = attribute.Key("sesh.lost_to")
	// ErrorTypeKey (OpenTelemetry's error.type) classifies the error of a
	// fail-closed response or a lifecycle span event: conflict,
	// cookie_too_large, too_large, canceled, timeout, or _OTHER.
	ErrorTypeKey = attribute.Key("error.type")
)

// The outcomes of a store call (OutcomeKey's values).
const (
	OutcomeOK       = "ok"
	OutcomeNotFound = "not_found" // errors.Is(err, sesh.ErrNotFound): an absent record, no failure
	OutcomeConflict = "conflict"  // errors.Is(err, sesh.ErrConflict): a lost compare-and-set, no failure
	OutcomeCanceled = "canceled"  // errors.Is(err, context.Canceled)
	OutcomeTimeout  = "timeout"   // errors.Is(err, context.DeadlineExceeded)
	OutcomeError    = "error"     // any other error
)

var outcomeNames = [...]string{OutcomeOK, OutcomeNotFound, OutcomeConflict, OutcomeCanceled, OutcomeTimeout, OutcomeError}

const (
	outOK = iota
	outNotFound
	outConflict
	outCanceled
	outTimeout
	outError
	numOutcomes
)

// outcome classifies a store call's error.
func outcome(err error) int {
	switch {
	case err == nil:
		return outOK
	case errors.Is(err, sesh.ErrNotFound):
		return outNotFound
	case errors.Is(err, sesh.ErrConflict):
		return outConflict
	case errors.Is(err, context.Canceled):
		return outCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return outTimeout
	}
	return outError
}

// errorType classifies the error of a lifecycle event (ErrorTypeKey).
func errorType(err error) string {
	switch {
	case errors.Is(err, sesh.ErrConflict):
		return "conflict"
	case errors.Is(err, sesh.ErrCookieTooLarge):
		return "cookie_too_large"
	case errors.Is(err, sesh.ErrTooLarge):
		return "too_large"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "_OTHER"
}

var errorTypes = [...]string{"conflict", "cookie_too_large", "too_large", "canceled", "timeout", "_OTHER"}

// The names, units and descriptions of the instruments.
const (
	MetricStoreDuration  = "sesh.store.operation.duration"
	MetricCreated        = "sesh.sessions.created"
	MetricRegenerated    = "sesh.sessions.regenerated"
	MetricDestroyed      = "sesh.sessions.destroyed"
	MetricExpired        = "sesh.sessions.expired"
	MetricRevoked        = "sesh.sessions.revoked"
	MetricReplays        = "sesh.commit.replays"
	MetricConflicts      = "sesh.commit.conflicts"
	MetricLost           = "sesh.commit.lost"
	MetricCookieTooLarge = "sesh.cookie.too_large"
	MetricTooLarge       = "sesh.session.too_large"
	MetricDecodeFailures = "sesh.session.decode_failures"
	MetricCorrupt        = "sesh.store.corrupt_records"
	MetricFailClosed     = "sesh.responses.fail_closed"
	MetricLockWait       = "sesh.lock.wait.duration"
)

// counterSpec describes the counter of one event kind.
type counterSpec struct {
	kind       sesh.EventKind
	name, unit string
	desc       string
}

var counterSpecs = []counterSpec{
	{sesh.EventCreated, MetricCreated, "{session}", "Sessions stored (or sealed into a cookie) for the first time."},
	{sesh.EventRegenerated, MetricRegenerated, "{session}", "Sessions moved to a new ID (Regenerate, e.g. at sign-in)."},
	{sesh.EventDestroyed, MetricDestroyed, "{session}", "Sessions deleted by Destroy, EndSession or EndUserSessions."},
	{sesh.EventExpired, MetricExpired, "{session}", "Loaded sessions found past their absolute timeout."},
	{sesh.EventRevoked, MetricRevoked, "{session}", "Loaded sessions ended by Config.Revoked."},
	{sesh.EventReplay, MetricReplays, "{replay}", "Commits that lost a compare-and-set and replayed their changes on the fresh record."},
	{sesh.EventConflict, MetricConflicts, "{conflict}", "Commits that gave up with a *sesh.ConflictError (replays exhausted, or no lock in time)."},
	{sesh.EventLostToDestroy, MetricLost, "{commit}", "Commits dropped because another request destroyed (sesh.lost_to=destroy) or moved (sesh.lost_to=move) the session."},
	{sesh.EventLostToMove, MetricLost, "{commit}", ""},
	{sesh.EventCookieTooLarge, MetricCookieTooLarge, "{commit}", "Commits of cookie-only sessions that did not fit their cookie."},
	{sesh.EventTooLarge, MetricTooLarge, "{commit}", "Commits of server-side sessions over Config.MaxSize."},
	{sesh.EventDecodeFailed, MetricDecodeFailures, "{session}", "Stored sessions or cookies that did not decode (read as no session)."},
	{sesh.EventCorrupt, MetricCorrupt, "{record}", "Records the store reported corrupt (read as no session)."},
	{sesh.EventFailClosed, MetricFailClosed, "{response}", "Responses the middleware answered with its ErrorHandler, by error.type."},
}

// maxKind bounds the event kinds the Observer knows.
const maxKind = int(sesh.EventLockWaited) + 1

// Bucket boundaries, in seconds. A store call takes microseconds in memory
// and milliseconds over a network; a lock wait up to Config.LockWait.
var (
	storeBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	lockBuckets  = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
)

// Option configures New.
type Option func(*config)

type config struct {
	mp    metric.MeterProvider
	tp    trace.TracerProvider
	attrs []attribute.KeyValue
}

// WithMeterProvider sets the meter provider; the default is the global
// one (otel.GetMeterProvider) as of New.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithTracerProvider sets the tracer provider; the default is the global
// one (otel.GetTracerProvider) as of New. A provider from
// go.opentelemetry.io/otel/trace/noop turns spans off at no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithAttributes adds attributes to every measurement and span, e.g. to
// tell apart the Managers of one program (attribute.String("sesh.manager",
// "admin")). Keep them few and of low cardinality; never put a session ID,
// a user ID or a store key in them.
func WithAttributes(kv ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, kv...) }
}

// Observer is a sesh.Observer that records metrics and spans through
// OpenTelemetry. Build it with New; it is safe for concurrent use and may
// serve several Managers.
type Observer struct {
	tracer   trace.Tracer // nil: no spans
	attrs    []attribute.KeyValue
	duration metric.Float64Histogram
	lockWait metric.Float64Histogram
	lockOpts []metric.RecordOption
	events   [maxKind]eventInfo
	calls    sync.Map // sesh.StoreCall → *callInfo
}

// eventInfo is what Event needs for one kind, built once.
type eventInfo struct {
	counter metric.Int64Counter // nil: no counter
	opts    []metric.AddOption
	byType  map[string][]metric.AddOption // per error.type (fail_closed)
	span    string                        // the span event's name
}

// callInfo is what StoreCall needs for one operation on one store type,
// built at its first call.
type callInfo struct {
	spanName string
	start    []trace.SpanStartOption
	record   [numOutcomes][]metric.RecordOption
	end      [numOutcomes][]attribute.KeyValue
}

var _ sesh.Observer = (*Observer)(nil)

// New returns an Observer that records on the providers of opts, or on the
// global ones. An instrument that cannot be created is reported to
// otel.Handle and left out.
func New(opts ...Option) *Observer {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	o := &Observer{attrs: c.attrs}
	if _, noop := c.tp.(tracenoop.TracerProvider); !noop {
		o.tracer = c.tp.Tracer(ScopeName)
	}
	meter := c.mp.Meter(ScopeName)
	var err error
	o.duration, err = meter.Float64Histogram(MetricStoreDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of the calls the session Manager makes to its store."),
		metric.WithExplicitBucketBoundaries(storeBuckets...))
	if err != nil {
		otel.Handle(err)
	}
	o.lockWait, err = meter.Float64Histogram(MetricLockWait, metric.WithUnit("s"),
		metric.WithDescription("Time a request waited for its session's lock (Config.Serialize), when it had to wait."),
		metric.WithExplicitBucketBoundaries(lockBuckets...))
	if err != nil {
		otel.Handle(err)
	}
	base := attribute.NewSet(c.attrs...)
	o.lockOpts = []metric.RecordOption{metric.WithAttributeSet(base)}
	byName := map[string]metric.Int64Counter{}
	for _, s := range counterSpecs {
		ctr, ok := byName[s.name]
		if !ok {
			ctr, err = meter.Int64Counter(s.name, metric.WithUnit(s.unit), metric.WithDescription(s.desc))
			if err != nil {
				otel.Handle(err)
				continue
			}
			byName[s.name] = ctr
		}
		e := &o.events[s.kind]
		e.counter = ctr
		e.opts = []metric.AddOption{metric.WithAttributeSet(base)}
		switch s.kind {
		case sesh.EventLostToDestroy:
			e.opts = []metric.AddOption{metric.WithAttributeSet(with(c.attrs, LostToKey.String("destroy")))}
		case sesh.EventLostToMove:
			e.opts = []metric.AddOption{metric.WithAttributeSet(with(c.attrs, LostToKey.String("move")))}
		case sesh.EventFailClosed:
			e.byType = make(map[string][]metric.AddOption, len(errorTypes))
			for _, t := range errorTypes {
				e.byType[t] = []metric.AddOption{metric.WithAttributeSet(with(c.attrs, ErrorTypeKey.String(t)))}
			}
		}
	}
	for k := 1; k < maxKind; k++ {
		o.events[k].span = "sesh." + sesh.EventKind(k).String()
	}
	return o
}

// with returns the set of base plus kv.
func with(base []attribute.KeyValue, kv ...attribute.KeyValue) attribute.Set {
	all := make([]attribute.KeyValue, 0, len(base)+len(kv))
	return attribute.NewSet(append(append(all, base...), kv...)...)
}

// info returns the cached callInfo of c.
func (o *Observer) info(c sesh.StoreCall) *callInfo {
	if v, ok := o.calls.Load(c); ok {
		return v.(*callInfo)
	}
	attrs := append([]attribute.KeyValue{OperationKey.String(c.Op), StoreTypeKey.String(c.Store)}, o.attrs...)
	ci := &callInfo{
		spanName: "sesh.store " + c.Op,
		start: []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attrs...),
		},
	}
	for i, name := range outcomeNames {
		kv := OutcomeKey.String(name)
		ci.record[i] = []metric.RecordOption{metric.WithAttributeSet(with(attrs, kv))}
		ci.end[i] = []attribute.KeyValue{kv}
	}
	v, _ := o.calls.LoadOrStore(c, ci)
	return v.(*callInfo)
}

// StoreCall starts a span named "sesh.store <op>" (a child of the span in
// ctx) and, when the call ends, records its duration and outcome. The span
// carries the operation, the store type and the outcome; a call that
// failed (outcome error, canceled or timeout) gets an error status whose
// description is the outcome only: the error's text, which may name a
// store key, is never recorded. not_found and conflict are normal results
// (an absent record, a lost compare-and-set) and leave the status unset.
func (o *Observer) StoreCall(ctx context.Context, c sesh.StoreCall) (context.Context, func(error)) {
	ci := o.info(c)
	var span trace.Span
	if o.tracer != nil {
		ctx, span = o.tracer.Start(ctx, ci.spanName, ci.start...)
	}
	start := time.Now()
	return ctx, func(err error) {
		d := time.Since(start).Seconds()
		out := outcome(err)
		if o.duration != nil {
			o.duration.Record(ctx, d, ci.record[out]...)
		}
		if span != nil {
			span.SetAttributes(ci.end[out]...)
			if out >= outCanceled {
				span.SetStatus(codes.Error, outcomeNames[out])
			}
			span.End()
		}
	}
}

// Event counts e on its counter (the lock wait goes to its histogram) and,
// when the span in ctx is recording, adds a span event named "sesh.<kind>"
// (e.g. "sesh.regenerated") to it. Kinds this version does not know are
// ignored.
func (o *Observer) Event(ctx context.Context, e sesh.Event) {
	if e.Kind == 0 || int(e.Kind) >= maxKind {
		return
	}
	info := &o.events[e.Kind]
	var etype string
	switch {
	case e.Kind == sesh.EventLockWaited:
		if o.lockWait != nil {
			o.lockWait.Record(ctx, e.Wait.Seconds(), o.lockOpts...)
		}
	case info.byType != nil:
		etype = errorType(e.Err)
		info.counter.Add(ctx, 1, info.byType[etype]...)
	case info.counter != nil:
		info.counter.Add(ctx, 1, info.opts...)
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		var kv []attribute.KeyValue
		switch {
		case e.Kind == sesh.EventLockWaited:
			kv = append(kv, attribute.Float64("sesh.lock.wait.duration", e.Wait.Seconds()))
		case e.Err != nil:
			if etype == "" {
				etype = errorType(e.Err)
			}
			kv = append(kv, ErrorTypeKey.String(etype))
		}
		span.AddEvent(info.span, trace.WithAttributes(kv...))
	}
}
