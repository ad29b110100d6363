package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// TableAPI is what CreateTable needs beyond API; a *dynamodb.Client has it.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// ErrTTLUnsupported is wrapped by the error CreateTable returns when the
// table is ready but the endpoint does not implement UpdateTimeToLive
// (dynalite, some emulators). The store works without TTL: it checks
// expiry on every read; expired items then stay until Clear.
var ErrTTLUnsupported = errors.New("dynamostore: the endpoint does not implement UpdateTimeToLive")

// CreateTable creates the table the store expects, if it does not exist:
// on-demand billing, the partition key attribute (S), and the user index
// (a global secondary index on the user attribute, KEYS_ONLY). It waits
// until the table is active and then enables TTL on the TTL attribute.
// Meant for development and tests: in production, declare the table in
// your infrastructure code (the package doc has the CloudFormation). The
// store's client must also implement TableAPI (a *dynamodb.Client does).
//
// An existing table is left as it is, but its key must be the one the
// store uses. An endpoint without UpdateTimeToLive yields an error
// wrapping ErrTTLUnsupported, after the table is ready.
func (s *Store) CreateTable(ctx context.Context) error {
	api, ok := s.api.(TableAPI)
	if !ok {
		return fmt.Errorf("dynamostore: create table: the client (%T) has no CreateTable, DescribeTable and UpdateTimeToLive", s.api)
	}
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   &s.table,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: &s.keyAttr, AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: &s.userAttr, AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: &s.keyAttr, KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  &s.index,
			KeySchema:  []types.KeySchemaElement{{AttributeName: &s.userAttr, KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return wrap(ctx, "create table", err)
	}
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 2*time.Second
	})
	maxWait := 5 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		maxWait = max(time.Until(d), time.Millisecond)
	}
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &s.table}, maxWait); err != nil {
		return wrap(ctx, "create table", err)
	}
	if err := s.check(ctx, api); err != nil {
		return err
	}
	_, err = api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &s.table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: &s.ttlAttr, Enabled: aws.Bool(true)},
	})
	var apiErr smithy.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "UnknownOperationException":
		return fmt.Errorf("dynamostore: create table %s: %w", s.table, ErrTTLUnsupported)
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" && ttlAlreadyOn(ctx, api, s):
		return nil // "TimeToLive is already enabled"
	}
	return wrap(ctx, "create table: enable TTL", err)
}

// ttlAlreadyOn reports whether the table's TTL is enabled on the store's
// attribute (UpdateTimeToLive fails when asked to enable it twice).
func ttlAlreadyOn(ctx context.Context, api TableAPI, s *Store) bool {
	d, ok := api.(interface {
		DescribeTimeToLive(context.Context, *dynamodb.DescribeTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	})
	if !ok {
		return false
	}
	out, err := d.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &s.table})
	if err != nil || out.TimeToLiveDescription == nil {
		return false
	}
	t := out.TimeToLiveDescription
	return aws.ToString(t.AttributeName) == s.ttlAttr &&
		(t.TimeToLiveStatus == types.TimeToLiveStatusEnabled || t.TimeToLiveStatus == types.TimeToLiveStatusEnabling)
}

// check asks DescribeTable whether the table exists with the store's
// partition key (a string attribute, no sort key).
func (s *Store) check(ctx context.Context, api interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}) error {
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &s.table})
	if err != nil {
		return wrap(ctx, "describe table "+s.table, err)
	}
	t := out.Table
	if t == nil || len(t.KeySchema) != 1 || aws.ToString(t.KeySchema[0].AttributeName) != s.keyAttr {
		return fmt.Errorf("dynamostore: table %s: want a partition key %q and no sort key", s.table, s.keyAttr)
	}
	for _, a := range t.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == s.keyAttr && a.AttributeType != types.ScalarAttributeTypeS {
			return fmt.Errorf("dynamostore: table %s: partition key %q is of type %s, want S", s.table, s.keyAttr, a.AttributeType)
		}
	}
	return nil
}
