package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/sesh-go/sesh"
)

func init() {
	sesh.Register("dynamodb", openURL)
}

// urlParams are the query parameters openURL knows.
var urlParams = []string{"endpoint", "idx", "index", "layout", "prefix", "region", "ttl"}

// openURL opens a store from
// dynamodb://<table>?region=…&endpoint=…&layout=native|arc&idx=…&ttl=…&prefix=…&index=…
// with credentials from the SDK's default chain, and checks with
// DescribeTable that the table exists with the expected key.
func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	if u.Opaque != "" || u.User != nil || u.Port() != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("dynamostore: want dynamodb://<table>?region=…&endpoint=…")
	}
	q := u.Query()
	params := map[string]string{}
	for k, vs := range q {
		if !slices.Contains(urlParams, k) {
			return nil, fmt.Errorf("dynamostore: unknown parameter %q (known: %s)", k, strings.Join(urlParams, ", "))
		}
		if len(vs) != 1 || vs[0] == "" {
			return nil, fmt.Errorf("dynamostore: parameter %q given %d times or empty", k, len(vs))
		}
		params[k] = vs[0]
	}
	opts := Options{Table: u.Hostname(), Prefix: params["prefix"], KeyAttribute: params["idx"],
		TTLAttribute: params["ttl"], UserIndex: params["index"]}
	arc := false
	switch params["layout"] {
	case "", "native":
	case "arc":
		arc = true
	default:
		return nil, fmt.Errorf("dynamostore: layout=%q: want native or arc", params["layout"])
	}
	endpoint := params["endpoint"]
	if endpoint != "" {
		e, err := url.Parse(endpoint)
		if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
			return nil, fmt.Errorf("dynamostore: endpoint=%q: want an http:// or https:// URL", endpoint)
		}
	}
	// Check the options before building a client.
	if _, err := newStore(nopAPI{}, opts, arc); err != nil {
		return nil, err
	}

	var load []func(*config.LoadOptions) error
	if r := params["region"]; r != "" {
		load = append(load, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("dynamostore: AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("dynamostore: no region: add region=… to the URL or set AWS_REGION")
	}
	// The store owns its transport, so that Close can release its
	// connections: a copy of the one the SDK configured (with
	// AWS_CA_BUNDLE's roots, if set), redirects not followed, as the SDK's.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if b, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		tr = b.GetTransport()
	}
	tr.MaxIdleConnsPerHost = 64
	tr.ResponseHeaderTimeout = 30 * time.Second // a backstop for calls without a deadline
	cfg.HTTPClient = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = &endpoint
		}
	})
	s, err := newStore(client, opts, arc)
	if err != nil {
		return nil, err
	}
	s.close = tr.CloseIdleConnections
	if err := s.check(ctx, client); err != nil {
		tr.CloseIdleConnections()
		if endpoint != "" {
			return nil, fmt.Errorf("%w (endpoint %s)", err, endpoint)
		}
		return nil, err
	}
	if arc {
		return &ArcStore{Store: s}, nil
	}
	return s, nil
}

// nopAPI lets openURL validate options before it has a client.
type nopAPI struct{ API }
