package s3

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Config says where the store keeps its objects and how to reach it.
type Config struct {
	// Bucket holds the objects; it must exist.
	Bucket string
	// Prefix is prepended to every key, as Prefix/key; empty for the bucket's root.
	Prefix string
	// Endpoint is the server's URL, http:// or https:// with a host and
	// optional port; empty for AWS S3. A custom endpoint is addressed
	// path-style (http://host/bucket/key), AWS virtual-host style.
	Endpoint     string
	AccessKey    string
	SecretKey    string
	SessionToken string
	// Region signs the requests; empty means us-east-1 for a custom endpoint
	// and the bucket's own region (looked up once) on AWS.
	Region string
}

// ParseURL splits s3://bucket/prefix into the bucket and the prefix (without
// leading or trailing slashes; empty for s3://bucket).
func ParseURL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return "", "", fmt.Errorf("--blob %q: want s3://bucket/prefix", raw)
	}
	if u.User != nil || u.Port() != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", fmt.Errorf("--blob %q: want s3://bucket/prefix (no user, port, query or fragment; the server is --s3-endpoint)", raw)
	}
	if err := s3utils.CheckValidBucketNameStrict(u.Host); err != nil {
		return "", "", fmt.Errorf("--blob %q: bucket %q: %v", raw, u.Host, err)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		for seg := range strings.SplitSeq(prefix, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return "", "", fmt.Errorf("--blob %q: the prefix %q has an empty, . or .. segment", raw, prefix)
			}
		}
	}
	return u.Host, prefix, nil
}

// ParseConfig builds the configuration of --blob s3://bucket/prefix and
// --s3-endpoint; what they leave out comes from the AWS environment variables
// read through getenv: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION (or
// AWS_DEFAULT_REGION).
func ParseConfig(blobURL, endpoint string, getenv func(string) string) (Config, error) {
	bucket, prefix, err := ParseURL(blobURL)
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Bucket: bucket, Prefix: prefix, Endpoint: endpoint,
		AccessKey: getenv("AWS_ACCESS_KEY_ID"), SecretKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: getenv("AWS_SESSION_TOKEN"),
		Region:       getenv("AWS_REGION"),
	}
	source := "--s3-endpoint"
	if c.Endpoint == "" {
		c.Endpoint, source = getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"
	}
	if c.Region == "" {
		c.Region = getenv("AWS_DEFAULT_REGION")
	}
	if c.Endpoint != "" {
		if _, _, err := parseEndpoint(c.Endpoint); err != nil {
			return Config{}, fmt.Errorf("%s: %w", source, err)
		}
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return Config{}, fmt.Errorf("--blob %s needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", blobURL)
	}
	return c, nil
}

// parseEndpoint checks an endpoint URL and returns its host[:port] and
// whether it uses TLS.
func parseEndpoint(raw string) (host string, secure bool, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false, fmt.Errorf("%q: want http://host[:port] or https://host[:port]", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false, fmt.Errorf("%q: want only a scheme, host and port (the bucket and prefix go in --blob s3://bucket/prefix)", raw)
	}
	return u.Host, u.Scheme == "https", nil
}
