package ingest

import (
	"encoding/json"
	"testing"
)

// FuzzScanObject checks the JSON Lines scanner against encoding/json: a line
// is accepted exactly when it is one JSON object, and every member reads as
// encoding/json reads it.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 } `, `{"a":"x","b":-0.5e+3,"c":true,"d":false,"e":null}`, `{"a":{"b":[1,{"c":"}"}]}}`,
		`{"k\"ey":"v\u00e9\n","x":"\ud83d\ude00"}`, `{"a":1,}`, `{"a" 1}`, `{"a":01}`, `{"a":1}x`, `[1]`, `"s"`,
		`{"a":"unterminated}`, `{"a":tru}`, `{"a":-}`, `{"a":1.}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", `{"a":[1,]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var want map[string]json.RawMessage
		wantErr := json.Unmarshal(line, &want)
		got := map[string]*jsonValue{}
		jerr, _ := scanObject(line, func(k string, v *jsonValue) *fieldError {
			c := *v
			got[k] = &c
			return nil
		})
		if (jerr == nil) != (wantErr == nil && want != nil) {
			t.Fatalf("%q: scanner error %v, encoding/json error %v", line, jerr, wantErr)
		}
		if jerr != nil {
			return
		}
		for k, raw := range want {
			v := got[k]
			if v == nil {
				t.Fatalf("%q: member %q missing", line, k)
			}
			if v.kind == '"' {
				var s string
				if err := json.Unmarshal(raw, &s); err != nil || s != v.str {
					t.Fatalf("%q: member %q reads %q, encoding/json %q", line, k, v.str, s)
				}
			} else if string(v.raw) != string(raw) {
				t.Fatalf("%q: member %q is %q, encoding/json %q", line, k, v.raw, raw)
			}
		}
	})
}
