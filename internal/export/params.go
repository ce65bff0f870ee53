package export

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/exportd/exportd/internal/catalog"
)

// MaxRange is the longest date range one export may span.
const MaxRange = 6 // calendar months

// v1Aliases maps the alternative field names of Pelcro's reference to ours.
var v1Aliases = map[string]string{
	"type":        "object",
	"export_type": "mode",
	"date":        "month",
}

// ParseV1 validates a v1 request body (decoded with json.Decoder.UseNumber)
// against the catalog and returns the type and its normalised parameters.
// siteID is the site of the query string; a site_id in the body must match it.
func ParseV1(body map[string]any, siteID int64, now time.Time) (catalog.Type, Params, error) {
	fields := make(map[string]any, len(body))
	for k, v := range body {
		if v == nil || v == "<nil>" {
			continue // an explicit null is an absent field
		}
		name := k
		if a, ok := v1Aliases[k]; ok && !isFilterOf(body["object"], k) {
			name = a
			if _, dup := body[a]; dup && body[a] != nil {
				return catalog.Type{}, nil, Errorf(CodeInvalid, "invalid_parameter", k,
					"%s is an alias of %s; send only one of them", k, a)
			}
		}
		fields[name] = v
	}

	objRaw, ok := fields["object"]
	if !ok {
		return catalog.Type{}, nil, Errorf(CodeInvalid, "missing_parameter", "object",
			"object is required: one of %s", strings.Join(catalog.Objects(), ", "))
	}
	obj, ok := objRaw.(string)
	if !ok {
		return catalog.Type{}, nil, Errorf(CodeInvalid, "invalid_parameter", "object", "object must be a string")
	}
	typ, ok := catalog.Lookup(obj)
	if !ok {
		return catalog.Type{}, nil, Errorf(CodeInvalid, "invalid_object", "object",
			"Unknown export type %q: use one of %s", obj, strings.Join(catalog.Objects(), ", "))
	}

	if v, ok := fields["site_id"]; ok {
		id, err := positiveInt("site_id", v)
		if err != nil {
			return typ, nil, err
		}
		if id != siteID {
			return typ, nil, Errorf(CodeInvalid, "invalid_parameter", "site_id",
				"site_id in the body (%d) differs from the site_id of the query (%d)", id, siteID)
		}
	}

	p := Params{}
	// Check names first, so that an unknown field is reported before a missing one.
	for _, name := range sortedKeys(fields) {
		switch {
		case name == "object" || name == "site_id":
		case typ.DateRange && (name == "date_from" || name == "date_to" || name == "mode"):
		default:
			if _, ok := typ.Filter(name); !ok {
				return typ, nil, Errorf(CodeInvalid, "unknown_parameter", name,
					"%s is not a parameter of %s exports; allowed: %s", name, typ.Object,
					strings.Join(allowedParams(typ), ", "))
			}
		}
	}
	for _, name := range typ.Required() {
		if _, ok := fields[name]; !ok {
			return typ, nil, Errorf(CodeInvalid, "missing_parameter", name,
				"%s is required for %s exports", name, typ.Object)
		}
	}

	if typ.DateRange {
		from, err := parseTime("date_from", fields["date_from"], false)
		if err != nil {
			return typ, nil, err
		}
		to, err := parseTime("date_to", fields["date_to"], true)
		if err != nil {
			return typ, nil, err
		}
		if to.Before(from) {
			return typ, nil, Errorf(CodeInvalid, "invalid_date_range", "date_to",
				"Invalid date range: date_to (%s) is before date_from (%s)", fmtTime(to), fmtTime(from))
		}
		// The contract's rule reads a bare date as UTC midnight; the filter
		// still takes that whole day in.
		limit := to
		if isBareDate(fields["date_to"]) {
			limit = to.Truncate(24 * time.Hour)
		}
		if from.AddDate(0, MaxRange, 0).Before(limit) {
			return typ, nil, Errorf(CodeInvalid, "invalid_date_range", "date_to",
				"Invalid date range: it spans more than %d months (date_from + %d months must not be before date_to); request a smaller period",
				MaxRange, MaxRange)
		}
		p["date_from"], p["date_to"] = fmtTime(from), fmtTime(to)
		p["mode"] = catalog.ModeFull
		if v, ok := fields["mode"]; ok {
			s, _ := v.(string)
			if !slices.Contains(catalog.Modes, s) {
				return typ, nil, Errorf(CodeInvalid, "invalid_parameter", "mode",
					"mode must be full_data (records created in the range) or modified_data (records updated in the range)")
			}
			p["mode"] = s
		}
	}

	for _, f := range typ.Filters {
		v, ok := fields[f.Name]
		if !ok {
			continue
		}
		s, err := filterValue(f, v, now)
		if err != nil {
			return typ, nil, err
		}
		p[f.Name] = s
	}
	return typ, p, nil
}

// isFilterOf reports whether field is a filter of the export type that
// object names: where a type has a filter called type, a body with an object
// means that filter, not Pelcro's alias of object.
func isFilterOf(object any, field string) bool {
	name, _ := object.(string)
	t, ok := catalog.Lookup(name)
	if !ok {
		return false
	}
	_, ok = t.Filter(field)
	return ok
}

func allowedParams(t catalog.Type) []string {
	names := []string{"object", "site_id"}
	if t.DateRange {
		names = append(names, "date_from", "date_to", "mode")
	}
	for _, f := range t.Filters {
		names = append(names, f.Name)
	}
	return names
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// filterValue checks one filter value and returns its canonical form.
func filterValue(f catalog.Filter, v any, now time.Time) (string, error) {
	switch f.Kind {
	case catalog.Integer:
		id, err := positiveInt(f.Name, v)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(id, 10), nil
	}
	s, ok := v.(string)
	if !ok {
		return "", Errorf(CodeInvalid, "invalid_parameter", f.Name, "%s must be a string", f.Name)
	}
	switch f.Kind {
	case catalog.Enum:
		if !slices.Contains(f.Values, s) {
			return "", Errorf(CodeInvalid, "invalid_parameter", f.Name,
				"%s must be one of %s; got %q", f.Name, strings.Join(f.Values, ", "), s)
		}
	case catalog.Currency:
		if err := CheckCurrency(f.Name, s); err != nil {
			return "", err
		}
	case catalog.Country:
		if len(s) != 2 || !isLetters(s) || !isCountry(strings.ToUpper(s)) {
			return "", Errorf(CodeInvalid, "invalid_parameter", f.Name,
				"%s must be an ISO 3166-1 alpha-2 country code such as US or CA; got %q", f.Name, s)
		}
		s = strings.ToUpper(s)
	case catalog.Email:
		if at := strings.IndexByte(s, '@'); at < 1 || at == len(s)-1 || len(s) > 320 || !PlainText(s) {
			return "", Errorf(CodeInvalid, "invalid_parameter", f.Name, "%s must be an e-mail address", f.Name)
		}
	case catalog.Date:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return "", Errorf(CodeInvalid, "invalid_parameter", f.Name,
				"%s must be a date in the form YYYY-MM-DD; got %q", f.Name, s)
		}
		if f.Name == "month" {
			// Any day names its month; a month still to come has nothing to report.
			d = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
			if d.After(now) {
				return "", Errorf(CodeInvalid, "invalid_month", f.Name,
					"month %s is in the future; request the current month or an earlier one", d.Format("2006-01"))
			}
		}
		return d.Format(time.DateOnly), nil
	default:
		if s == "" || len(s) > 255 || !PlainText(s) {
			return "", Errorf(CodeInvalid, "invalid_parameter", f.Name, "%s must be between 1 and 255 characters of UTF-8 text without control characters", f.Name)
		}
	}
	return s, nil
}

// PlainText reports whether s is valid UTF-8 without control characters:
// what a text parameter, an id or an idempotency key may hold.
func PlainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// isBareDate reports whether a date parameter was given as YYYY-MM-DD.
func isBareDate(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return err == nil
}

// CheckCurrency accepts three lowercase letters and explains anything else.
func CheckCurrency(param, s string) error {
	if len(s) == 3 && isLetters(s) {
		if strings.ToLower(s) == s {
			return nil
		}
		return Errorf(CodeInvalid, "invalid_currency", param,
			"%s must be lowercase: use %q, not %q", param, strings.ToLower(s), s)
	}
	return Errorf(CodeInvalid, "invalid_currency", param,
		"%s must be a three-letter ISO 4217 code in lowercase, such as usd or eur; got %q", param, s)
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// positiveInt reads a JSON integer (or a string of digits) that must be >= 1.
func positiveInt(param string, v any) (int64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return 0, Errorf(CodeInvalid, "invalid_parameter", param, "%s must be an integer", param)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, Errorf(CodeInvalid, "invalid_parameter", param, "%s must be a positive integer; got %s", param, quoteValue(s))
	}
	return n, nil
}

func quoteValue(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// parseTime reads a Unix timestamp, an RFC 3339 date-time or a YYYY-MM-DD
// date. A date as the end of a range means the whole of that day.
func parseTime(param string, v any, end bool) (time.Time, error) {
	bad := func() (time.Time, error) {
		return time.Time{}, Errorf(CodeInvalid, "invalid_date_range", param,
			"Invalid date range: %s must be a Unix timestamp, an RFC 3339 date-time or a YYYY-MM-DD date", param)
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return bad()
	}
	if s == "" {
		return bad()
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		// Beyond year 9999 a timestamp cannot be formatted as RFC 3339.
		if n < 0 || n > 253402300799 {
			return bad()
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if t.Year() < 1 || t.UTC().Year() > 9999 {
			return bad()
		}
		return t.UTC().Truncate(time.Second), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	return bad()
}

// TimeFormat is how exportd writes times: RFC 3339, UTC, whole seconds.
const TimeFormat = "2006-01-02T15:04:05Z"

func fmtTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseParamTime reads back a time that ParseV1 normalised.
func ParseParamTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parameter time %q: %w", s, err)
	}
	return t, nil
}
