package sqlstore

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// QueryOptions is the part of a store URL's query that sqlstore reads.
type QueryOptions struct {
	Options
	// Rest holds the names of the parameters left for the driver, sorted.
	Rest []string
	// Query is the query without the parameters sqlstore read.
	Query url.Values
}

// OptionsFromQuery reads table= and cleanup= (a duration, or "off") from a
// store URL's raw query, for the store modules' sesh.Open schemes. A
// malformed query (a ';', a bad escape) is an error, never silently
// dropped.
func OptionsFromQuery(rawQuery string) (QueryOptions, error) {
	var o QueryOptions
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return o, fmt.Errorf("malformed query: %w", err)
	}
	rest := url.Values{}
	for name, vals := range q {
		if name != "table" && name != "cleanup" {
			rest[name] = vals
			o.Rest = append(o.Rest, name)
			continue
		}
		if len(vals) != 1 || vals[0] == "" {
			return o, fmt.Errorf("parameter %q must be given once, with a value", name)
		}
		v := vals[0]
		switch name {
		case "table":
			o.Table = v
		case "cleanup":
			if strings.EqualFold(v, "off") {
				o.CleanupInterval = -1
				continue
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return o, fmt.Errorf("cleanup=%q: want a positive duration such as 5m, or off", v)
			}
			o.CleanupInterval = d
		}
	}
	slices.Sort(o.Rest)
	o.Query = rest
	return o, nil
}
