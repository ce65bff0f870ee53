package export

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/exportd/exportd/internal/catalog"
)

// nilValue is what one of Chargebee's client libraries sends for a field it
// has no value for; it counts as absent.
const nilValue = "<nil>"

// Limits of v2 filter values.
const (
	maxV2Value  = 255  // characters of one value
	maxV2Values = 1000 // values of one in / not_in list
	maxUnix     = 253402300799
)

// ParseV2 validates the form parameters of a v2 request for the export type
// name against the catalog and returns the type with its normalised
// parameters. Plain parameters keep their name (report_by); each filter is
// keyed resource[attribute][operator] (or attribute[operator] for a
// top-level one) with a canonical value: a list as a JSON array of strings,
// a timestamp as Unix seconds, a boolean as true or false. Values that are
// the literal <nil> are absent. Errors name the parameter at fault.
func ParseV2(name string, form url.Values) (catalog.V2Type, Params, error) {
	typ, ok := catalog.LookupV2(name)
	if !ok {
		return typ, nil, Errorf(CodeNotFound, "unknown_export_type", "",
			"There is no %q export; the types are %s", clip(name), strings.Join(catalog.V2Names(), ", "))
	}
	type acc struct {
		attr    catalog.Attr
		op      string
		param   string
		plain   []string
		indexed map[int]string
	}
	filters := map[string]*acc{}
	p := Params{}
	for _, key := range slices.Sorted(maps.Keys(form)) {
		vals := form[key]
		segs, ok := splitFormKey(key)
		if !ok {
			return typ, nil, Errorf(CodeInvalid, "invalid_parameter", clip(key), "%s is not a parameter name of the form name or resource[attribute][operator]", clip(key))
		}
		if len(segs) == 1 {
			if err := plainParam(typ, segs[0], vals, p); err != nil {
				return typ, nil, err
			}
			continue
		}
		attr, op, rest, err := filterParts(typ, segs, key)
		if err != nil {
			return typ, nil, err
		}
		param := attr.Key() + "[" + op + "]"
		a := filters[param]
		if a == nil {
			a = &acc{attr: attr, op: op, param: param, indexed: map[int]string{}}
			filters[param] = a
		}
		switch len(rest) {
		case 0:
			a.plain = append(a.plain, vals...)
		case 1:
			if !catalog.ListOperator(op) {
				return typ, nil, Errorf(CodeInvalid, "invalid_parameter", param, "%s takes one value, not a list", param)
			}
			i, err := strconv.Atoi(rest[0])
			if rest[0] == "" {
				i, err = len(a.indexed), nil
			}
			if err != nil || i < 0 || i >= maxV2Values {
				return typ, nil, Errorf(CodeInvalid, "invalid_parameter", clip(key), "%s: the index of a list value must be an integer from 0 to %d", clip(key), maxV2Values-1)
			}
			if len(vals) > 1 {
				return typ, nil, Errorf(CodeInvalid, "invalid_parameter", clip(key), "%s is given more than once", clip(key))
			}
			a.indexed[i] = vals[0]
		default:
			return typ, nil, Errorf(CodeInvalid, "invalid_parameter", clip(key), "%s has too many [...] parts: use %s or %s[0]", clip(key), param, param)
		}
	}
	for _, param := range slices.Sorted(maps.Keys(filters)) {
		a := filters[param]
		vals, err := collectValues(a.param, a.op, a.plain, a.indexed)
		if err != nil {
			return typ, nil, err
		}
		if len(vals) == 0 {
			continue // only <nil>: absent
		}
		canon, err := filterValue2(a.attr, a.op, a.param, vals)
		if err != nil {
			return typ, nil, err
		}
		p[param] = canon
	}
	for _, prm := range typ.Params {
		if _, ok := p[prm.Name]; !ok && prm.Required {
			return typ, nil, Errorf(CodeInvalid, "missing_parameter", prm.Name, "%s is required for %s exports", prm.Name, typ.Name)
		}
	}
	if err := checkReportRange(typ, p); err != nil {
		return typ, nil, err
	}
	return typ, p, nil
}

// splitFormKey splits resource[attribute][operator][0] into its parts.
func splitFormKey(key string) ([]string, bool) {
	i := strings.IndexByte(key, '[')
	if i < 0 {
		return []string{key}, validName(key)
	}
	segs := []string{key[:i]}
	if !validName(segs[0]) {
		return nil, false
	}
	rest := key[i:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, false
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, false
		}
		seg := rest[1:j]
		if seg != "" && !validName(seg) {
			return nil, false
		}
		segs = append(segs, seg)
		rest = rest[j+1:]
	}
	return segs, len(segs) <= 5
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// filterParts finds the attribute and operator a filter key names; rest is
// what follows the operator (a list index).
func filterParts(typ catalog.V2Type, segs []string, key string) (catalog.Attr, string, []string, error) {
	var attr catalog.Attr
	var op string
	var rest []string
	if a, ok := typ.Attr(segs[0]); ok {
		attr, op, rest = a, segs[1], segs[2:]
	} else if slices.Contains(typ.Resources(), segs[0]) {
		if len(segs) < 3 {
			return attr, "", nil, Errorf(CodeInvalid, "invalid_parameter", clip(key),
				"%s needs an operator: %s[%s][is]=... (see docs/v2.md)", clip(key), segs[0], segs[1])
		}
		a, ok := typ.Attr(segs[0] + "[" + segs[1] + "]")
		if !ok {
			return attr, "", nil, Errorf(CodeInvalid, "unknown_parameter", clip(segs[0]+"["+segs[1]+"]"),
				"%s[%s] is not a filter of %s exports; see docs/v2.md for the attributes of %s", segs[0], segs[1], typ.Name, segs[0])
		}
		attr, op, rest = a, segs[2], segs[3:]
	} else {
		return attr, "", nil, Errorf(CodeInvalid, "unknown_parameter", clip(key),
			"%s is not a parameter of %s exports; see docs/v2.md", clip(key), typ.Name)
	}
	if attr.Missing != "" {
		return attr, "", nil, Errorf(CodeInvalid, "unsupported_filter", attr.Key(),
			"%s cannot be filtered by: %s", attr.Key(), attr.Missing)
	}
	if !slices.Contains(attr.Kind.Operators(), op) {
		return attr, "", nil, Errorf(CodeInvalid, "invalid_operator", clip(attr.Key()+"["+op+"]"),
			"%s is a %s attribute: its operators are %s, not %q", attr.Key(), attr.Kind, strings.Join(attr.Kind.Operators(), ", "), op)
	}
	return attr, op, rest, nil
}

// collectValues gathers a filter's values: indexed ones in index order, and
// plain ones, where a JSON array counts as its elements. <nil> is dropped.
func collectValues(param, op string, plain []string, indexed map[int]string) ([]string, error) {
	var out []string
	for _, i := range slices.Sorted(maps.Keys(indexed)) {
		if v := indexed[i]; v != nilValue {
			out = append(out, v)
		}
	}
	for _, v := range plain {
		if v == nilValue {
			continue
		}
		if catalog.ListOperator(op) && strings.HasPrefix(strings.TrimSpace(v), "[") {
			list, err := jsonList(v)
			if err != nil {
				return nil, Errorf(CodeInvalid, "invalid_value", param, "%s: %s", param, err)
			}
			out = append(out, list...)
			continue
		}
		out = append(out, v)
	}
	if len(out) > 1 && !catalog.ListOperator(op) {
		return nil, Errorf(CodeInvalid, "invalid_parameter", param, "%s is given more than once", param)
	}
	return out, nil
}

// jsonList reads a list value sent as a JSON array string: ["a","b"] or [1,2].
func jsonList(s string) ([]string, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("a list must be a JSON array such as [\"a\",\"b\"], or indexed values [0]=a&[1]=b")
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		var str string
		if err := json.Unmarshal(r, &str); err == nil {
			out = append(out, str)
			continue
		}
		var n json.Number
		dec := json.NewDecoder(strings.NewReader(string(r)))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return nil, fmt.Errorf("list elements must be strings or numbers")
		}
		out = append(out, n.String())
	}
	return out, nil
}

// filterValue2 checks a filter's values against its attribute and operator
// and returns the canonical value.
func filterValue2(a catalog.Attr, op, param string, vals []string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", Errorf(CodeInvalid, "invalid_value", param, "%s: "+format, append([]any{param}, args...)...)
	}
	if op == "is_present" {
		if vals[0] != "true" && vals[0] != "false" {
			return bad("is_present takes true or false; got %s", quoteValue(vals[0]))
		}
		return vals[0], nil
	}
	switch {
	case op == "between" && len(vals) != 2:
		return bad("between takes exactly two values, [0] and [1]; got %d", len(vals))
	case len(vals) > maxV2Values:
		return bad("at most %d values", maxV2Values)
	}
	canon := make([]string, len(vals))
	for i, v := range vals {
		c, err := attrValue(a, v)
		if err != nil {
			return bad("%s", err)
		}
		canon[i] = c
	}
	if op == "between" {
		lo, _ := strconv.ParseInt(canon[0], 10, 64)
		hi, _ := strconv.ParseInt(canon[1], 10, 64)
		if lo > hi {
			return bad("the first value of between must not be greater than the second")
		}
	}
	if !catalog.ListOperator(op) {
		return canon[0], nil
	}
	b, _ := json.Marshal(canon)
	return string(b), nil
}

// attrValue checks one value of an attribute and returns its canonical form.
func attrValue(a catalog.Attr, v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("the value must not be empty")
	}
	switch a.Kind {
	case catalog.AttrNumber:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", fmt.Errorf("%s is a number attribute (amounts in minor units, e.g. 1000 for 10.00): got %s", a.Key(), quoteValue(v))
		}
		return strconv.FormatInt(n, 10), nil
	case catalog.AttrTimestamp:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 || n > maxUnix {
			return "", fmt.Errorf("%s is a timestamp attribute: Unix seconds, e.g. 1717200000; got %s", a.Key(), quoteValue(v))
		}
		return strconv.FormatInt(n, 10), nil
	case catalog.AttrEnum:
		if !slices.Contains(a.Values, v) {
			return "", fmt.Errorf("%s must be one of %s; got %s", a.Key(), strings.Join(a.Values, ", "), quoteValue(v))
		}
	case catalog.AttrBoolean:
		if v != "true" && v != "false" {
			return "", fmt.Errorf("%s is a boolean attribute: true or false; got %s", a.Key(), quoteValue(v))
		}
	default:
		if utf8.RuneCountInString(v) > maxV2Value || !PlainText(v) {
			return "", fmt.Errorf("values are at most %d characters of UTF-8 text without control characters", maxV2Value)
		}
	}
	return v, nil
}

// plainParam checks a plain parameter (report_by, include_discounts, ...).
func plainParam(typ catalog.V2Type, name string, vals []string, p Params) error {
	prm, ok := typ.Param(name)
	if !ok {
		if a, ok := typ.Attr(name); ok {
			return Errorf(CodeInvalid, "invalid_parameter", name, "%s is a filter: give it an operator, e.g. %s[%s]=...", name, a.Key(), a.Kind.Operators()[0])
		}
		if slices.Contains(typ.Resources(), name) {
			return Errorf(CodeInvalid, "invalid_parameter", name, "%s is a resource: filter it as %s[attribute][operator]=...", name, name)
		}
		return Errorf(CodeInvalid, "unknown_parameter", clip(name), "%s is not a parameter of %s exports; see docs/v2.md", clip(name), typ.Name)
	}
	vals = slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return v == nilValue })
	if len(vals) == 0 {
		return nil
	}
	if len(vals) > 1 {
		return Errorf(CodeInvalid, "invalid_parameter", name, "%s is given more than once", name)
	}
	v := strings.TrimSpace(vals[0])
	bad := func(format string, args ...any) error {
		return Errorf(CodeInvalid, "invalid_value", name, "%s "+format, append([]any{name}, args...)...)
	}
	switch prm.Kind {
	case catalog.ParamEnum:
		if why, ok := prm.Refused[v]; ok {
			return Errorf(CodeInvalid, "unsupported_value", name, "%s=%s is not supported: %s", name, v, why)
		}
		if !slices.Contains(prm.Values, v) {
			return bad("must be one of %s; got %s", strings.Join(prm.Values, ", "), quoteValue(v))
		}
	case catalog.ParamInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < prm.Min || n > prm.Max {
			return bad("must be an integer from %d to %d; got %s", prm.Min, prm.Max, quoteValue(v))
		}
		v = strconv.FormatInt(n, 10)
	case catalog.ParamBool:
		if v != "true" && v != "false" {
			return bad("must be true or false; got %s", quoteValue(v))
		}
	case catalog.ParamCurrency:
		if len(v) != 3 || !isLetters(v) {
			return bad("must be a three-letter ISO 4217 code such as USD; got %s", quoteValue(v))
		}
		v = strings.ToLower(v)
	}
	p[name] = v
	return nil
}

// checkReportRange checks the month range of a revenue report.
func checkReportRange(typ catalog.V2Type, p Params) error {
	if _, ok := typ.Param("report_from_month"); !ok {
		return nil
	}
	from, to := ReportMonths(p)
	if to < from {
		return Errorf(CodeInvalid, "invalid_value", "report_to_month",
			"the report ends (report_to_year/report_to_month) before it starts (report_from_year/report_from_month)")
	}
	if to-from >= catalog.MaxReportMonths {
		return Errorf(CodeInvalid, "invalid_value", "report_to_month",
			"a report spans at most %d months; request a shorter range", catalog.MaxReportMonths)
	}
	return nil
}

// ReportMonths returns the first and last month of a revenue report as
// consecutive month numbers (year*12 + month-1).
func ReportMonths(p Params) (from, to int) {
	n := func(k string) int { v, _ := strconv.Atoi(p[k]); return v }
	return n("report_from_year")*12 + n("report_from_month") - 1, n("report_to_year")*12 + n("report_to_month") - 1
}

// V2Filter is one filter of a v2 export: its attribute, operator and values
// (one, or a list for in, not_in and between).
type V2Filter struct {
	Attr   catalog.Attr
	Op     string
	Values []string
}

// V2Filters decodes the filters of a v2 export's normalised parameters, in
// key order.
func V2Filters(typ catalog.V2Type, p Params) ([]V2Filter, error) {
	var out []V2Filter
	for _, key := range slices.Sorted(maps.Keys(p)) {
		if !strings.HasSuffix(key, "]") {
			continue // a plain parameter
		}
		i := strings.LastIndexByte(key, '[')
		attrKey, op := key[:i], key[i+1:len(key)-1]
		a, ok := typ.Attr(attrKey)
		if !ok {
			return nil, fmt.Errorf("v2 %s: no attribute %s", typ.Name, attrKey)
		}
		f := V2Filter{Attr: a, Op: op}
		if catalog.ListOperator(op) {
			if err := json.Unmarshal([]byte(p[key]), &f.Values); err != nil {
				return nil, fmt.Errorf("v2 %s: %s: %w", typ.Name, key, err)
			}
		} else {
			f.Values = []string{p[key]}
		}
		out = append(out, f)
	}
	return out, nil
}
