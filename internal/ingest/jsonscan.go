package ingest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// A JSON Lines record is one flat object. scanObject reads it in one pass
// without reflection or a map: three times faster than encoding/json, which
// matters at a million records. Nested objects and arrays are checked with
// encoding/json and handed over whole (a record never needs one).

// jsonValue is one member's value.
type jsonValue struct {
	kind byte   // '"' string, '0' number, 't' true, 'f' false, 'n' null, '{' object, '[' array
	str  string // the string, unescaped
	raw  []byte // the value as written
}

type jsonError struct {
	msg string
	at  int
}

func (e *jsonError) Error() string { return fmt.Sprintf("%s (at byte %d)", e.msg, e.at+1) }

// scanObject calls fn for each member of the JSON object in b, in order.
func scanObject(b []byte, fn func(key string, v *jsonValue) *fieldError) (*jsonError, *fieldError) {
	s := scanner{b: b}
	s.space()
	if s.i >= len(b) || b[s.i] != '{' {
		if s.i < len(b) && b[s.i] == '[' {
			return &jsonError{msg: "a line must hold one JSON object, not an array", at: s.i}, nil
		}
		return s.fail("a line must hold one JSON object, starting with {"), nil
	}
	s.i++
	s.space()
	if s.i < len(b) && b[s.i] == '}' {
		s.i++
		return s.end(), nil
	}
	var v jsonValue
	for {
		s.space()
		if s.i >= len(b) || b[s.i] != '"' {
			return s.fail("want a member name in double quotes"), nil
		}
		key, err := s.str()
		if err != nil {
			return err, nil
		}
		s.space()
		if s.i >= len(b) || b[s.i] != ':' {
			return s.fail("want : after a member name"), nil
		}
		s.i++
		s.space()
		if err := s.value(&v); err != nil {
			return err, nil
		}
		if fe := fn(key, &v); fe != nil {
			// The rest of the line must still be JSON for the record to be
			// reported as what it is: a bad value, not a bad line.
			if err := s.rest(); err != nil {
				return err, nil
			}
			return nil, fe
		}
		s.space()
		if s.i >= len(b) {
			return s.fail("unexpected end of the line inside an object"), nil
		}
		switch b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end(), nil
		default:
			return s.fail("want , or } after a member"), nil
		}
	}
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) fail(msg string) *jsonError {
	if s.i < len(s.b) {
		msg = fmt.Sprintf("invalid character %q: %s", s.b[s.i], msg)
	} else {
		msg = "unexpected end of the line: " + msg
	}
	return &jsonError{msg: msg, at: s.i}
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// end checks that nothing but space follows the object.
func (s *scanner) end() *jsonError {
	s.space()
	if s.i < len(s.b) {
		return s.fail("a line must hold one JSON object and nothing after it")
	}
	return nil
}

// rest checks the remainder of an object after a member that was already read.
func (s *scanner) rest() *jsonError {
	var v jsonValue
	for {
		s.space()
		if s.i >= len(s.b) {
			return s.fail("unexpected end of the line inside an object")
		}
		switch s.b[s.i] {
		case '}':
			s.i++
			return s.end()
		case ',':
			s.i++
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return s.fail("want a member name in double quotes")
			}
			if _, err := s.str(); err != nil {
				return err
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return s.fail("want : after a member name")
			}
			s.i++
			s.space()
			if err := s.value(&v); err != nil {
				return err
			}
		default:
			return s.fail("want , or } after a member")
		}
	}
}

// str reads a string starting at the opening quote.
func (s *scanner) str() (string, *jsonError) {
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			body := s.b[start+1 : s.i-1]
			if !escaped && utf8.Valid(body) {
				return string(body), nil
			}
			// Escapes and invalid UTF-8 (replaced as encoding/json does): the slow path.
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				return "", &jsonError{msg: "invalid string: " + err.Error(), at: start}
			}
			return out, nil
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			return "", s.fail("control character in a string")
		default:
			s.i++
		}
	}
	s.i = len(s.b)
	return "", s.fail("unterminated string")
}

// value reads any value into v.
func (s *scanner) value(v *jsonValue) *jsonError {
	if s.i >= len(s.b) {
		return s.fail("want a value")
	}
	start := s.i
	*v = jsonValue{kind: s.b[s.i]}
	switch c := s.b[s.i]; {
	case c == '"':
		str, err := s.str()
		if err != nil {
			return err
		}
		v.str = str
	case c == '-' || (c >= '0' && c <= '9'):
		v.kind = '0'
		if err := s.number(); err != nil {
			return err
		}
	case c == 't':
		if err := s.literal("true"); err != nil {
			return err
		}
	case c == 'f':
		if err := s.literal("false"); err != nil {
			return err
		}
	case c == 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
	case c == '{' || c == '[':
		if err := s.nested(); err != nil {
			return err
		}
	default:
		return s.fail("want a value")
	}
	v.raw = s.b[start:s.i]
	return nil
}

func (s *scanner) literal(word string) *jsonError {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.fail("want " + word)
	}
	s.i += len(word)
	return nil
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() *jsonError {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case digits() == 0:
		return s.fail("want a digit")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.fail("want a digit after the decimal point")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.fail("want a digit in the exponent")
		}
	}
	return nil
}

// nested skips an object or array, then checks it with encoding/json.
func (s *scanner) nested() *jsonError {
	start, depth := s.i, 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		s.i++
		if depth == 0 {
			if !json.Valid(s.b[start:s.i]) {
				return &jsonError{msg: "invalid nested value", at: start}
			}
			return nil
		}
	}
	return s.fail("unterminated object or array")
}
