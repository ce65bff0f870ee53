package s3

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	creds := map[string]string{"AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range creds {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name, url, endpoint string
		env                 map[string]string
		want                Config
		err                 string // a part of the error, naming what is wrong
	}{
		{name: "bucket and prefix", url: "s3://exports/prod/files/", env: creds,
			want: Config{Bucket: "exports", Prefix: "prod/files", AccessKey: "ak", SecretKey: "sk"}},
		{name: "bucket only", url: "s3://exports", env: creds,
			want: Config{Bucket: "exports", AccessKey: "ak", SecretKey: "sk"}},
		{name: "flag endpoint wins", url: "s3://bkt/p", endpoint: "http://127.0.0.1:9000",
			env:  with("AWS_ENDPOINT_URL", "https://other", "AWS_REGION", "eu-west-3", "AWS_SESSION_TOKEN", "tok"),
			want: Config{Bucket: "bkt", Prefix: "p", Endpoint: "http://127.0.0.1:9000", AccessKey: "ak", SecretKey: "sk", SessionToken: "tok", Region: "eu-west-3"}},
		{name: "endpoint from env", url: "s3://bkt", env: with("AWS_ENDPOINT_URL", "https://s3.example.com/", "AWS_DEFAULT_REGION", "x1"),
			want: Config{Bucket: "bkt", Endpoint: "https://s3.example.com/", AccessKey: "ak", SecretKey: "sk", Region: "x1"}},
		{name: "no credentials", url: "s3://bkt/p", env: map[string]string{"AWS_ACCESS_KEY_ID": "ak"}, err: "AWS_SECRET_ACCESS_KEY"},
		{name: "not s3", url: "gs://b/p", env: creds, err: "want s3://bucket/prefix"},
		{name: "no bucket", url: "s3:///p", env: creds, err: "bucket"},
		{name: "bad bucket", url: "s3://Bad_Bucket/p", env: creds, err: "Bad_Bucket"},
		{name: "port", url: "s3://bkt:9000/p", env: creds, err: "--s3-endpoint"},
		{name: "query", url: "s3://bkt/p?region=x", env: creds, err: "no user, port, query"},
		{name: "dot dot", url: "s3://bkt/a/../c", env: creds, err: "segment"},
		{name: "double slash", url: "s3://bkt/a//c", env: creds, err: "segment"},
		{name: "endpoint scheme", url: "s3://bkt", endpoint: "127.0.0.1:9000", env: creds, err: "--s3-endpoint"},
		{name: "endpoint path", url: "s3://bkt", endpoint: "http://h/bucket", env: creds, err: "--s3-endpoint"},
		{name: "env endpoint", url: "s3://bkt", env: with("AWS_ENDPOINT_URL", "ftp://h"), err: "AWS_ENDPOINT_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(tt.url, tt.endpoint, func(k string) string { return tt.env[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNewAddressing(t *testing.T) {
	for _, tt := range []struct {
		endpoint, url string
	}{
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000/bkt/p/k.csv"},
		{"https://s3.example.com", "https://s3.example.com/bkt/p/k.csv"},
		{"", "https://bkt.s3.dualstack.eu-west-3.amazonaws.com/p/k.csv"},
	} {
		s, err := New(Config{Bucket: "bkt", Prefix: "p", Endpoint: tt.endpoint, AccessKey: "ak", SecretKey: "sk", Region: "eu-west-3"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.PresignGet(t.Context(), "k.csv", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u, tt.url+"?") {
			t.Errorf("endpoint %q: presigned %s, want %s?...", tt.endpoint, u, tt.url)
		}
	}
}
