// Package dynamostore is a sesh.Store on Amazon DynamoDB, through
// aws-sdk-go-v2. The caller passes its client (any endpoint: AWS, DynamoDB
// Local, dynalite); sesh.Open builds one from a URL. Two item layouts:
// sesh's own (New), and the one Remix's createArcTableSessionStorage
// writes (NewArc), so that a Go service and a Remix app on Architect can
// share one table of live sessions.
//
// # Native layout (New)
//
// One item per session, attribute names kept short (they are billed):
//
//	id   S  partition key: Options.Prefix + key (the Manager's key, a hash
//	        of the session ID: a leaked table yields no usable cookie)
//	d    B  Record.Data
//	e    N  Record.Expires, Unix milliseconds: the exact deadline
//	ttl  N  the TTL attribute: e in Unix seconds, rounded up, so that
//	        DynamoDB never deletes a record before its deadline
//	v    N  the version (sesh.Swapper), random and positive
//	u    S  Record.UserID, only when it is not empty (the user index)
//
// The names of id and ttl are Options.KeyAttribute and Options.TTLAttribute.
//
// # Arc layout (NewArc)
//
// The item Remix writes, for createArcTableSessionStorage({table, idx: "_idx",
// ttl: "_ttl"}), plus two attributes of sesh's:
//
//	_idx        S  partition key: the session ID, 16 lower-case hex digits
//	               minted by the store (Create, sesh.Creator), as Remix's
//	               createData mints them
//	_ttl        N  the deadline in Unix seconds, rounded up (Remix rounds to
//	               the nearest second)
//	<name>      …  one attribute per member of Record.Data, a JSON object
//	               (compat/remix.Codec's session data, "__sesh" included),
//	               typed as the DocumentClient marshals JavaScript values:
//	               string S, number N, boolean BOOL, null NULL, array L,
//	               object M
//	_sesh       M  the record's own fields: v (S, the version, a string so
//	               that JavaScript reads it without loss), e (N, the exact
//	               deadline in Unix milliseconds), t (N, the _ttl value this
//	               store wrote); o (L of S, the member order, when it is not
//	               sorted) and r (M of S, the original JSON text of members
//	               whose DynamoDB form would read back differently, such as a
//	               struct's field order or 1e+21) make the round trip exact;
//	               b (B) holds Record.Data instead of the members when it is
//	               not a JSON object that can be spread (a Regenerate's
//	               tombstone, which is empty; storetest's opaque bytes; a
//	               number DynamoDB cannot hold, …). A member kept
//	               in r costs its size twice: Go structs (whose fields are
//	               not in sorted order) are the usual case
//	_sesh_user  S  Record.UserID, only when it is not empty (the user index)
//
// What Remix sees: readData returns every attribute but _idx and _ttl, so a
// Remix app finds the session's values where it put them, plus "__sesh"
// (sesh's session metadata), "_sesh" and "_sesh_user", which it carries
// along untouched. Numbers above 2^53 in session values read in JavaScript
// as BigInt (lib-dynamodb) or lose precision (older DocumentClients); Go
// reads every number exactly. Remix's readData returns every item it finds,
// so nothing sesh writes can read as no session: a Regenerate's tombstone
// (kept at the old ID for two minutes) and a lock record of
// sesh.Config.Serialize ("lock:<hash>", which no Remix cookie names unless
// signed with the secret) both read to Remix as an empty session, "_sesh"
// its only member.
//
// When Remix rewrites the item (its put replaces the whole item, with the
// three sesh attributes as it read them and a new _ttl), the store notices
// that _ttl no longer equals _sesh.t and reads the item as Remix's: the
// deadline is _ttl minus half a second (the earliest instant Remix's
// rounding allows), the version is derived from _ttl and _sesh.v (so it
// changed), members Remix changed read as their canonical JSON, and the
// session is the item's attributes even where _sesh.b held the store's
// data (so a tombstone Remix wrote over, through a request that still
// carried the old cookie, is Remix's live session, not a tombstone for as
// long as Remix's _ttl); Swap and
// Touch on such an item read it first and write on the condition that _ttl
// and _sesh.v are still what they read (Touch then makes it the store's
// again, keeping the version it read with). Items Remix
// created (no _sesh) read the same way; an item without _ttl never expires,
// as in Remix, and reads with a zero Expires. Binary attributes and sets,
// which only JavaScript writes, read as base64 strings and arrays. Go's
// compare-and-set does not protect a Remix write that lands in the same
// second as the Go write it replaces (_ttl unchanged): Remix itself writes
// without any check.
//
// Keys that are not Remix IDs (storetest's) are stored as they are; Options.
// Prefix (empty by default: Remix looks items up by the bare ID) isolates
// stores that share a table.
//
// # Reads, writes and expiry
//
// Every read is strongly consistent (GetItem, Scan and BatchGetItem with
// ConsistentRead). Expiry is checked in code on every read against the
// store's clock, whatever DynamoDB's TTL has done: DynamoDB deletes expired
// items lazily, up to days later, and never before the TTL attribute's
// second. Set is one PutItem; Delete one DeleteItem; Swap (sesh.Swapper) one
// PutItem whose ConditionExpression requires "absent or expired" (version 0)
// or "this version and unexpired", so a save racing a Delete fails with
// sesh.ErrNotFound instead of resurrecting the session ("destroy wins");
// ReturnValuesOnConditionCheckFailure tells sesh.ErrConflict from
// sesh.ErrNotFound, with one consistent GetItem when DynamoDB returns no item.
// Touch (sesh.Toucher) is one UpdateItem of e and ttl on a live item only.
// No background cleanup runs: enable TTL on the table (CreateTable does) and
// DynamoDB removes what expired.
//
// Listing (sesh.Lister) is a paginated, consistent Scan of the whole table
// filtered on this store's prefix: its cost grows with the table, not with
// the store. Clear deletes this store's items with BatchWriteItem.
//
// # Sessions by user
//
// ByUser (sesh.UserIndex) queries a global secondary index, Options.
// UserIndex ("user" by default), whose partition key is the user attribute
// (u, or _sesh_user in the Arc layout) with KEYS_ONLY projection: items
// without a user are not in it, and rewriting a session (every save, every
// Touch) costs no index write unless its user changes. The records are then
// read with a consistent BatchGetItem and checked (still this user, still
// live): ByUser never returns a deleted, expired or reassigned session, but
// a GSI is eventually consistent, so a session tied to the user in the last
// moments (typically under a second on AWS) may be missing from the result.
//
// # Creating the table
//
// CreateTable creates the table the store expects (on-demand billing, the
// user index) and enables TTL, for development and tests. The equivalent
// CloudFormation, for the native layout with the default names:
//
//	Sessions:
//	  Type: AWS::DynamoDB::Table
//	  Properties:
//	    TableName: sessions
//	    BillingMode: PAY_PER_REQUEST
//	    AttributeDefinitions:
//	      - {AttributeName: id, AttributeType: S}
//	      - {AttributeName: u, AttributeType: S}
//	    KeySchema:
//	      - {AttributeName: id, KeyType: HASH}
//	    GlobalSecondaryIndexes:
//	      - IndexName: user
//	        KeySchema:
//	          - {AttributeName: u, KeyType: HASH}
//	        Projection: {ProjectionType: KEYS_ONLY}
//	    TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
//
// For the Arc layout, replace id by _idx, u by _sesh_user and ttl by _ttl;
// in Architect's app.arc:
//
//	@tables
//	arc-sessions
//	  _idx *String
//	  _ttl TTL
//
//	@tables-indexes
//	arc-sessions
//	  _sesh_user *String
//	  projection keys
//	  name user
//
// The store needs dynamodb:GetItem, PutItem, UpdateItem, DeleteItem, Scan,
// Query (on the index), BatchGetItem and BatchWriteItem; sesh.Open also
// calls DescribeTable to check the table's key.
//
// # Timeouts
//
// Every call takes its context: the SDK's retries sleep only as long as the
// context allows, and a cancelled or expired context fails the call with an
// error wrapping ctx.Err(). Give requests a deadline: the SDK sets no
// overall timeout of its own (a store opened by URL waits at most 30 s for
// a response's headers, then the SDK retries).
//
// # Opening by URL
//
// Importing the package registers the scheme dynamodb with sesh.Open:
//
//	dynamodb://<table>[?region=us-east-1][&endpoint=http://127.0.0.1:8000]
//	        [&layout=native|arc][&idx=<key attribute>][&ttl=<TTL attribute>]
//	        [&prefix=<prefix>][&index=<user index name>]
//
// Credentials and (without region) the region come from the SDK's default
// chain (environment, shared config files, IAM roles). Unknown parameters
// are refused. layout=arc opens an ArcStore (the store mints Remix IDs).
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

// Attribute names that are not configurable.
const (
	// Native layout.
	attrData    = "d"
	attrExp     = "e"
	attrVersion = "v"
	attrUser    = "u"
	// Arc layout.
	attrMeta    = "_sesh"
	attrArcUser = "_sesh_user"
	// Members of _sesh.
	metaVersion = "v"
	metaExp     = "e"
	metaTTL     = "t"
	metaOrder   = "o"
	metaRaw     = "r"
	metaBytes   = "b"
)

// Defaults of Options.
const (
	DefaultKeyAttribute    = "id"
	DefaultTTLAttribute    = "ttl"
	DefaultArcKeyAttribute = "_idx"
	DefaultArcTTLAttribute = "_ttl"
	DefaultUserIndex       = "user"
)

// API is the part of *dynamodb.Client the store calls; a *dynamodb.Client
// satisfies it (as does a wrapper that adds tracing or a DAX client with
// the same methods).
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Options configures a Store. Table is required.
type Options struct {
	// Table is the table's name (3 to 255 characters of a-z A-Z 0-9 _ . -).
	Table string
	// Prefix is prepended to every key in the partition key attribute;
	// stores with different prefixes share a table without seeing each
	// other, and Clear removes only its own. Empty by default. At most 512
	// bytes of printable ASCII. In the Arc layout, a Remix app finds only
	// the sessions of the empty prefix.
	Prefix string
	// KeyAttribute names the partition key attribute: default "id", or
	// "_idx" for NewArc (Remix's idx option).
	KeyAttribute string
	// TTLAttribute names the Number attribute DynamoDB's TTL reads: default
	// "ttl", or "_ttl" for NewArc (Remix's ttl option).
	TTLAttribute string
	// UserIndex names the global secondary index on the user attribute
	// that ByUser queries; default "user".
	UserIndex string
	// Now is the clock that decides expiry; nil means time.Now.
	Now func() time.Time
}

// Store is a sesh.Store on a DynamoDB table. It implements sesh.Toucher,
// sesh.Swapper, sesh.Lister and sesh.UserIndex, and is safe for concurrent
// use. See the package doc for its layouts.
type Store struct {
	api      API
	table    string
	arc      bool
	prefix   string
	keyAttr  string
	ttlAttr  string
	userAttr string
	index    string
	now      func() time.Time
	names    map[string]string // expression placeholders
	close    func()            // set by sesh.Open: releases the HTTP client it made
}

// ArcStore is a Store in the Arc layout that mints session IDs as Remix's
// createData does (sesh.Creator): with it, the Manager's cookies carry the
// Remix ID (see compat/remix.ConfigureIDStorage). Its embedded Store is the
// same store without Create.
type ArcStore struct {
	*Store
}

var (
	_ sesh.Store     = (*Store)(nil)
	_ sesh.Toucher   = (*Store)(nil)
	_ sesh.Swapper   = (*Store)(nil)
	_ sesh.Lister    = (*Store)(nil)
	_ sesh.UserIndex = (*Store)(nil)
	_ sesh.Creator   = (*ArcStore)(nil)
)

var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// New returns a Store in the native layout over client. It checks the
// options, not the table: see CreateTable.
func New(client API, opts Options) (*Store, error) {
	return newStore(client, opts, false)
}

// NewArc returns a store in the Arc layout over client, which mints Remix
// IDs. It checks the options, not the table: see CreateTable.
func NewArc(client API, opts Options) (*ArcStore, error) {
	s, err := newStore(client, opts, true)
	if err != nil {
		return nil, err
	}
	return &ArcStore{Store: s}, nil
}

func newStore(client API, opts Options, arc bool) (*Store, error) {
	if client == nil {
		return nil, errors.New("dynamostore: nil client")
	}
	if !tableName.MatchString(opts.Table) {
		return nil, fmt.Errorf("dynamostore: table name %q: want 3 to 255 characters of a-z A-Z 0-9 _ . -", opts.Table)
	}
	if len(opts.Prefix) > 512 {
		return nil, errors.New("dynamostore: prefix longer than 512 bytes")
	}
	for i := 0; i < len(opts.Prefix); i++ {
		if c := opts.Prefix[i]; c <= ' ' || c >= 0x7f {
			return nil, fmt.Errorf("dynamostore: prefix %q: want printable ASCII without spaces", opts.Prefix)
		}
	}
	s := &Store{api: client, table: opts.Table, arc: arc, prefix: opts.Prefix, keyAttr: opts.KeyAttribute,
		ttlAttr: opts.TTLAttribute, index: opts.UserIndex, now: opts.Now}
	fixed := []string{attrData, attrExp, attrVersion, attrUser}
	s.userAttr = attrUser
	if arc {
		fixed = []string{attrMeta, attrArcUser}
		s.userAttr = attrArcUser
	}
	if s.keyAttr == "" {
		s.keyAttr = map[bool]string{false: DefaultKeyAttribute, true: DefaultArcKeyAttribute}[arc]
	}
	if s.ttlAttr == "" {
		s.ttlAttr = map[bool]string{false: DefaultTTLAttribute, true: DefaultArcTTLAttribute}[arc]
	}
	if s.index == "" {
		s.index = DefaultUserIndex
	}
	if !tableName.MatchString(s.index) {
		return nil, fmt.Errorf("dynamostore: index name %q: want 3 to 255 characters of a-z A-Z 0-9 _ . -", s.index)
	}
	for what, name := range map[string]string{"key attribute": s.keyAttr, "TTL attribute": s.ttlAttr} {
		if len(name) > 255 {
			return nil, fmt.Errorf("dynamostore: %s name longer than 255 bytes", what)
		}
		for _, f := range fixed {
			if name == f {
				return nil, fmt.Errorf("dynamostore: %s %q is one of the store's own attributes", what, name)
			}
		}
	}
	if s.keyAttr == s.ttlAttr {
		return nil, fmt.Errorf("dynamostore: key and TTL attributes are both %q", s.keyAttr)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.names = map[string]string{
		"#k": s.keyAttr, "#ttl": s.ttlAttr, "#u": s.userAttr,
		"#d": attrData, "#e": attrExp, "#v": attrVersion, // native; #e, #v and #t also name _sesh's members
		"#m": attrMeta, "#t": metaTTL,
	}
	return s, nil
}

// Close releases the HTTP connections of a store opened by sesh.Open. A
// store made by New or NewArc leaves its client to the caller: Close does
// nothing.
func (s *Store) Close() error {
	if s.close != nil {
		s.close()
	}
	return nil
}

// Table returns the table's name.
func (s *Store) Table() string { return s.table }

func wrap(ctx context.Context, op string, err error) error {
	return storekit.Wrap(ctx, "dynamostore", op, err)
}

func strAV(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func numAV(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func (s *Store) keyOf(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{s.keyAttr: strAV(s.prefix + key)}
}

// expiryMs is a deadline in Unix milliseconds, rounded down so that the
// stored deadline is never later than the record's.
func expiryMs(t time.Time) int64 { return t.UnixMilli() }

// ttlOf is the TTL attribute for a deadline in Unix ms: seconds, rounded
// up, so that DynamoDB never deletes a live record.
func ttlOf(ms int64) int64 {
	if ms <= 0 {
		return 0
	}
	return (ms + 999) / 1000
}

// cond is one expression set: a condition, an update, a projection, and
// the values they use. names is filled from the placeholders they contain.
type cond struct {
	condition, update, projection, filter, keyCond string
	values                                         map[string]types.AttributeValue
}

var placeholder = regexp.MustCompile(`[#:][A-Za-z0-9_]+`)

// names returns the ExpressionAttributeNames and ExpressionAttributeValues
// for c: only those its expressions use (DynamoDB rejects unused ones).
func (s *Store) expr(c cond) (map[string]string, map[string]types.AttributeValue) {
	var names map[string]string
	var values map[string]types.AttributeValue
	for _, e := range []string{c.condition, c.update, c.projection, c.filter, c.keyCond} {
		for _, p := range placeholder.FindAllString(e, -1) {
			if p[0] == '#' {
				if names == nil {
					names = map[string]string{}
				}
				names[p] = s.names[p]
			} else if v, ok := c.values[p]; ok {
				if values == nil {
					values = map[string]types.AttributeValue{}
				}
				values[p] = v
			}
		}
	}
	return names, values
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// put writes item, under c's condition if it has one. failed reports a
// condition that did not hold; old is the item as DynamoDB returned it
// then (nil when it returned none).
func (s *Store) put(ctx context.Context, item map[string]types.AttributeValue, c cond) (failed bool, old map[string]types.AttributeValue, err error) {
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: optional(c.condition)}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = s.expr(c)
	if c.condition != "" {
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	_, err = s.api.PutItem(ctx, in)
	return conditionFailed(err)
}

// update runs an UpdateItem on key.
func (s *Store) update(ctx context.Context, key string, c cond) (failed bool, old map[string]types.AttributeValue, err error) {
	in := &dynamodb.UpdateItemInput{TableName: &s.table, Key: s.keyOf(key), UpdateExpression: aws.String(c.update),
		ConditionExpression: optional(c.condition), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = s.expr(c)
	_, err = s.api.UpdateItem(ctx, in)
	return conditionFailed(err)
}

// remove runs a DeleteItem on key, under c's condition if it has one.
func (s *Store) remove(ctx context.Context, key string, c cond) (failed bool, old map[string]types.AttributeValue, err error) {
	in := &dynamodb.DeleteItemInput{TableName: &s.table, Key: s.keyOf(key), ConditionExpression: optional(c.condition)}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = s.expr(c)
	if c.condition != "" {
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	_, err = s.api.DeleteItem(ctx, in)
	return conditionFailed(err)
}

func conditionFailed(err error) (bool, map[string]types.AttributeValue, error) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			return true, nil, nil
		}
		return true, ccf.Item, nil
	}
	return false, nil, err
}

// getItem reads the item under key with a strongly consistent read; nil
// if absent.
func (s *Store) getItem(ctx context.Context, key string) (map[string]types.AttributeValue, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: s.keyOf(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// state is an item as the store reads it.
type state struct {
	rec  sesh.Record
	live bool // present, readable and unexpired
	arc  arcState
}

// inspect reads item (nil: absent) at now. A present item the store cannot
// read yields an error wrapping sesh.ErrCorrupt.
func (s *Store) inspect(item map[string]types.AttributeValue, now time.Time) (state, error) {
	if item == nil {
		return state{}, nil
	}
	if s.arc {
		return s.inspectArc(item, now)
	}
	rec, err := s.decodeNative(item)
	if err != nil {
		return state{}, err
	}
	return state{rec: rec, live: now.UnixMilli() < rec.Expires.UnixMilli()}, nil
}

// classify reads the item (old, or a consistent GetItem when old is nil)
// after a condition failed.
func (s *Store) classify(ctx context.Context, key string, old map[string]types.AttributeValue) (state, error) {
	if old == nil {
		var err error
		if old, err = s.getItem(ctx, key); err != nil {
			return state{}, err
		}
	}
	return s.inspect(old, s.now())
}

// Get returns the record under key, or sesh.ErrNotFound if it is absent or
// expired. An item under the key that the store cannot read yields an error
// wrapping sesh.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	item, err := s.getItem(ctx, key)
	if err != nil {
		return sesh.Record{}, wrap(ctx, "get", err)
	}
	st, err := s.inspect(item, s.now())
	if err != nil {
		return sesh.Record{}, err
	}
	if !st.live {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return st.rec, nil
}

// Set inserts or replaces the record under key with a new version. A record
// whose Expires has passed is deleted instead.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	now := s.now()
	if !now.Before(rec.Expires) {
		return s.Delete(ctx, key)
	}
	item := s.item(key, rec, storekit.NewVersion(), now)
	if _, _, err := s.put(ctx, item, cond{}); err != nil {
		return wrap(ctx, "set", err)
	}
	return nil
}

// item builds the whole item for rec in the store's layout.
func (s *Store) item(key string, rec sesh.Record, version int64, now time.Time) map[string]types.AttributeValue {
	if s.arc {
		return s.arcItem(key, rec, strconv.FormatInt(version, 10), now)
	}
	ms := expiryMs(rec.Expires)
	item := map[string]types.AttributeValue{
		s.keyAttr:   strAV(s.prefix + key),
		attrData:    &types.AttributeValueMemberB{Value: append([]byte{}, rec.Data...)},
		attrExp:     numAV(ms),
		s.ttlAttr:   numAV(ttlOf(max(ms, now.UnixMilli()))),
		attrVersion: numAV(version),
	}
	if rec.UserID != "" {
		item[attrUser] = strAV(rec.UserID)
	}
	return item
}

// decodeNative reads an item of the native layout.
func (s *Store) decodeNative(item map[string]types.AttributeValue) (sesh.Record, error) {
	bad := func(what string) (sesh.Record, error) {
		return sesh.Record{}, fmt.Errorf("dynamostore: item with %s: %w", what, sesh.ErrCorrupt)
	}
	d, ok := item[attrData].(*types.AttributeValueMemberB)
	if !ok {
		return bad("no binary " + attrData)
	}
	ms, ok := intAttr(item[attrExp])
	if !ok {
		return bad("no valid " + attrExp)
	}
	v, ok := intAttr(item[attrVersion])
	if !ok || v <= 0 {
		return bad("no valid " + attrVersion)
	}
	rec := sesh.Record{Data: d.Value, Expires: time.UnixMilli(ms), Version: v}
	if rec.Data == nil {
		rec.Data = []byte{}
	}
	if u, present := item[attrUser]; present {
		us, ok := u.(*types.AttributeValueMemberS)
		if !ok {
			return bad("a user that is not a string")
		}
		rec.UserID = us.Value
	}
	return rec, nil
}

// intAttr reads an N attribute holding an int64.
func intAttr(av types.AttributeValue) (int64, bool) {
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	return v, err == nil
}

// Native conditions. nativeLive holds only for a present, readable,
// unexpired item (the attributes decodeNative needs, with their types).
const (
	nativeLive = "#e > :now AND #v > :zero AND attribute_type(#d, :binary)"
	nativeDead = "attribute_not_exists(#k) OR #e <= :now"
)

// nativeValues are the values of the native conditions at now.
func nativeValues(now time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{":now": numAV(now.UnixMilli()), ":zero": numAV(0), ":binary": strAV("B")}
}

// liveCond and deadCond are the conditions "present and unexpired" and
// "absent or expired" at now, in the store's layout. An item the store
// cannot read is neither.
func (s *Store) liveCond(now time.Time) cond {
	if s.arc {
		return arcLive(now)
	}
	return cond{condition: nativeLive, values: nativeValues(now)}
}

func (s *Store) deadCond(now time.Time) cond {
	if s.arc {
		return arcDead(now)
	}
	return cond{condition: nativeDead, values: nativeValues(now)}
}

// Swap is the compare-and-set of sesh.Swapper: one conditional PutItem
// (a conditional DeleteItem when rec has already expired). With
// rec.Version == 0 the condition is "absent or expired", otherwise "this
// version and unexpired"; a failed condition is sesh.ErrConflict, or
// sesh.ErrNotFound when the item is absent or expired.
func (s *Store) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return 0, err
	}
	if rec.Version < 0 {
		return 0, fmt.Errorf("dynamostore: swap: negative version %d: %w", rec.Version, sesh.ErrConflict)
	}
	if s.arc {
		return s.swapArc(ctx, key, rec)
	}
	now := s.now()
	ver := storekit.NewVersion()
	var c cond
	if rec.Version == 0 {
		c = s.deadCond(now)
	} else {
		c = cond{condition: "#v = :old AND " + nativeLive, values: nativeValues(now)}
		c.values[":old"] = numAV(rec.Version)
	}
	var failed bool
	var old map[string]types.AttributeValue
	var err error
	if now.Before(rec.Expires) {
		failed, old, err = s.put(ctx, s.item(key, rec, ver, now), c)
	} else {
		failed, old, err = s.remove(ctx, key, c)
	}
	if err != nil {
		return 0, wrap(ctx, "swap", err)
	}
	if !failed {
		return ver, nil
	}
	if rec.Version == 0 {
		return 0, sesh.ErrConflict
	}
	st, err := s.classify(ctx, key, old)
	if err != nil {
		if errors.Is(err, sesh.ErrCorrupt) {
			return 0, fmt.Errorf("dynamostore: swap: %w (%w)", sesh.ErrConflict, err)
		}
		return 0, wrap(ctx, "swap", err)
	}
	if !st.live {
		return 0, sesh.ErrNotFound
	}
	return 0, sesh.ErrConflict
}

// Touch moves the record's expiry without changing its data or version:
// one UpdateItem of the deadline and the TTL attribute, conditional on a
// live item, so it never revives or creates one. It returns
// sesh.ErrNotFound if the key is absent or expired, and an error wrapping
// sesh.ErrCorrupt for an item the store cannot read. A deadline already
// past deletes the record (a conditional DeleteItem). If the item keeps
// changing between the conditional write and the read that explains its
// failure (4 rounds), Touch gives up with an error wrapping
// sesh.ErrConflict: another request wrote the record meanwhile.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	for attempt := range casAttempts {
		if err := pause(ctx, attempt); err != nil {
			return wrap(ctx, "touch", err)
		}
		done, err := s.touchOnce(ctx, key, expires)
		if done {
			return err
		}
	}
	return fmt.Errorf("dynamostore: touch: the record kept changing during the call: %w", sesh.ErrConflict)
}

// pause waits before attempt (none before the first): a jittered,
// doubling delay from 1 ms, so that writers that lost to each other do not
// meet again at once. It returns ctx's error if ctx ends first.
func pause(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	d := time.Millisecond << min(attempt-1, 5)
	t := time.NewTimer(d/2 + mrand.N(d/2+1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// touchOnce makes one attempt; done is false when the item changed under
// it and another attempt may succeed.
func (s *Store) touchOnce(ctx context.Context, key string, expires time.Time) (done bool, err error) {
	now := s.now()
	var failed bool
	var old map[string]types.AttributeValue
	switch {
	case !now.Before(expires):
		failed, old, err = s.remove(ctx, key, s.liveCond(now))
	case s.arc:
		return s.touchArc(ctx, key, expires)
	default:
		ms := expiryMs(expires)
		c := cond{update: "SET #e = :e, #ttl = :ttl", condition: nativeLive, values: nativeValues(now)}
		c.values[":e"], c.values[":ttl"] = numAV(ms), numAV(ttlOf(ms))
		failed, old, err = s.update(ctx, key, c)
	}
	st, decided, err := s.touchWritten(ctx, key, failed, old, err)
	switch {
	case decided:
		return true, err
	case st.live:
		return false, nil // written between the update and the read
	}
	return true, sesh.ErrNotFound
}

// touchWritten reads the result of a Touch's conditional write (failed,
// old, err as update and remove return them). decided is true when the
// call's outcome is known: the write succeeded (err nil) or failed for good
// (err set). Otherwise the condition failed and st is the item as it is
// now, for the caller's layout to judge.
func (s *Store) touchWritten(ctx context.Context, key string, failed bool, old map[string]types.AttributeValue, err error) (st state, decided bool, _ error) {
	if err != nil {
		return state{}, true, wrap(ctx, "touch", err)
	}
	if !failed {
		return state{}, true, nil
	}
	st, err = s.classify(ctx, key, old)
	switch {
	case errors.Is(err, sesh.ErrCorrupt):
		return state{}, true, err
	case err != nil:
		return state{}, true, wrap(ctx, "touch", err)
	}
	return st, false, nil
}

// Delete removes the record under key. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	if _, _, err := s.remove(ctx, key, cond{}); err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
}
