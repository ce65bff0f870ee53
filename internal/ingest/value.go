package ingest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exportd/exportd/internal/export"
)

// TimeFormat is how timestamps are stored and exported: RFC 3339 in UTC at
// whole seconds, fixed width.
const TimeFormat = "2006-01-02T15:04:05Z"

// MaxIDLength bounds the platform ids a record may carry.
const MaxIDLength = 255

// fieldError says which field of a record is wrong and why.
type fieldError struct{ field, reason string }

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

func bad(field, format string, args ...any) *fieldError {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

// fromJSON reads a field's value from its JSON value. A null reads as absent.
func fromJSON(f *Field, v *jsonValue) (any, bool, *fieldError) {
	switch v.kind {
	case 'n':
		return nil, false, nil
	case '"':
		s := v.str
		switch f.Kind {
		case Integer, Money:
			return nil, false, bad(f.Name, "must be a JSON number, got the string %q", clip(s))
		case Bool:
			return nil, false, bad(f.Name, "must be true or false, got the string %q", clip(s))
		}
		if s == "" {
			// An empty string means no value, as an empty CSV cell does.
			return nil, false, nil
		}
		x, err := fromText(f, s)
		return x, err == nil, err
	case 't', 'f':
		if f.Kind != Bool {
			return nil, false, bad(f.Name, "must be %s, got %s", want(f), v.raw)
		}
		return v.kind == 't', true, nil
	case '{', '[':
		return nil, false, bad(f.Name, "must be %s, got a JSON %s", want(f), map[byte]string{'{': "object", '[': "array"}[v.kind])
	}
	// A number.
	raw := string(v.raw)
	switch f.Kind {
	case Integer, Money:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			if f.Kind == Money {
				return nil, false, bad(f.Name, "must be a whole number of minor units (cents), got %s", clip(raw))
			}
			return nil, false, bad(f.Name, "must be a whole number, got %s", clip(raw))
		}
		return checkInt(f, n)
	case Bool:
		switch raw {
		case "1":
			return true, true, nil
		case "0":
			return false, true, nil
		}
	case Ref:
		if _, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return raw, true, nil
		}
		return nil, false, bad(f.Name, "must be the id (a string or a whole number) of a record of %s, got %s", f.Ref, clip(raw))
	}
	return nil, false, bad(f.Name, "must be %s, got %s", want(f), clip(raw))
}

// fromCell reads a field's value from a CSV cell. An empty cell reads as absent.
func fromCell(f *Field, s string) (v any, present bool, err *fieldError) {
	if s == "" {
		return nil, false, nil
	}
	switch f.Kind {
	case Integer, Money:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			if f.Kind == Money {
				return nil, false, bad(f.Name, "must be a whole number of minor units (cents), got %q", clip(s))
			}
			return nil, false, bad(f.Name, "must be a whole number, got %q", clip(s))
		}
		return checkInt(f, n)
	case Bool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "t", "1", "yes":
			return true, true, nil
		case "false", "f", "0", "no":
			return false, true, nil
		}
		return nil, false, bad(f.Name, "must be true or false, got %q", clip(s))
	}
	v, err = fromText(f, s)
	return v, err == nil, err
}

func checkInt(f *Field, n int64) (any, bool, *fieldError) {
	if f.NonNegative && n < 0 {
		return nil, false, bad(f.Name, "must not be negative, got %d", n)
	}
	return n, true, nil
}

// fromText checks and converts a non-empty string value of every kind but
// Integer, Money and Bool.
func fromText(f *Field, s string) (any, *fieldError) {
	switch f.Kind {
	case Text:
		return s, nil
	case Enum:
		if !slices.Contains(f.Values, s) {
			return nil, bad(f.Name, "must be one of %s, got %q", strings.Join(f.Values, ", "), clip(s))
		}
		return s, nil
	case Currency:
		if len(s) == 3 && isLetters(s, 'a', 'z') {
			return s, nil
		}
		if len(s) == 3 && isLetters(strings.ToLower(s), 'a', 'z') {
			return nil, bad(f.Name, "must be lowercase: an ISO 4217 code such as %s, got %q", strings.ToLower(s), s)
		}
		return nil, bad(f.Name, "must be an ISO 4217 currency code in three lowercase letters, got %q", clip(s))
	case Country:
		if isCountry(s) {
			return s, nil
		}
		if isCountry(strings.ToUpper(s)) {
			return nil, bad(f.Name, "must be upper case: an ISO 3166-1 alpha-2 code such as %s, got %q", strings.ToUpper(s), s)
		}
		return nil, bad(f.Name, "must be an ISO 3166-1 alpha-2 country code such as US or DE, got %q", clip(s))
	case Time:
		t, ok := ParseTime(s)
		if !ok {
			return nil, bad(f.Name, "must be an RFC 3339 timestamp such as 2024-01-31T23:59:59Z, got %q", clip(s))
		}
		return t, nil
	case Date:
		if t, err := time.Parse(time.DateOnly, s); err == nil && t.Format(time.DateOnly) == s {
			return s, nil
		}
		return nil, bad(f.Name, "must be a date YYYY-MM-DD, got %q", clip(s))
	case Ref:
		if len(s) > MaxIDLength {
			return nil, bad(f.Name, "is longer than %d characters", MaxIDLength)
		}
		return s, nil
	}
	return nil, bad(f.Name, "must be %s, got %q", want(f), clip(s))
}

// ParseTime reads an RFC 3339 timestamp, or the form PostgreSQL prints
// (a space for the T, an hour-only offset: 2024-01-31 23:59:59.5+00), and
// returns it in UTC at whole seconds. A timestamp without an offset is
// ambiguous and not accepted.
func ParseTime(s string) (time.Time, bool) {
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse("2006-01-02T15:04:05.999999999Z07", s); err != nil {
			return time.Time{}, false
		}
	}
	t = t.UTC().Truncate(time.Second)
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

func isLetters(s string, lo, hi byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			return false
		}
	}
	return true
}

// want describes what a field's value must be, for messages.
func want(f *Field) string {
	switch f.Kind {
	case Text:
		return "a string"
	case Integer:
		return "a whole number"
	case Money:
		return "a whole number of minor units (cents)"
	case Bool:
		return "true or false"
	case Time:
		return "an RFC 3339 timestamp string"
	case Date:
		return "a date string YYYY-MM-DD"
	case Enum:
		return "one of " + strings.Join(f.Values, ", ")
	case Currency:
		return "a currency code string"
	case Country:
		return "a country code string"
	case Ref:
		return "the id of a record of " + f.Ref
	}
	return f.Kind.String()
}

// clip shortens a bad value quoted in a message.
func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	n := 57
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func isCountry(code string) bool { return export.IsCountry(code) }
