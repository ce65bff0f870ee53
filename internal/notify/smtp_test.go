package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test SMTP server saw it.
type received struct {
	from, to string
	user     string // authenticated user, "" when none
	tls      bool
	data     []byte
}

// mailServer is a real SMTP server (emersion/go-smtp) on loopback.
type mailServer struct {
	addr string
	pool *x509.CertPool // trusts the server's certificate when it has one

	mu   sync.Mutex
	msgs []received
	// rcpt, when set, answers RCPT TO for an address (nil accepts).
	rcpt func(to string) error
	// hold, when set, makes DATA wait on it.
	hold chan struct{}
}

func startMailServer(t *testing.T, withTLS bool) *mailServer {
	t.Helper()
	ms := &mailServer{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{srv: ms, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.AllowInsecureAuth = !withTLS
	if withTLS {
		cert, pool := selfSigned(t)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ms.pool = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ms
}

func (ms *mailServer) messages() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.msgs...)
}

type mailSession struct {
	srv      *mailServer
	conn     *smtp.Conn
	user     string
	from, to string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "s3cret:/@" {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	rcpt := s.srv.rcpt
	s.srv.mu.Unlock()
	if rcpt != nil {
		if err := rcpt(to); err != nil {
			return err
		}
	}
	s.to = to
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	hold := s.srv.hold
	s.srv.mu.Unlock()
	if hold != nil {
		<-hold
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, received{from: s.from, to: s.to, user: s.user, tls: isTLS, data: b})
	s.srv.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "exportd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func testMessage() Message {
	return Message{From: "exportd <exportd@example.com>", To: "owner@example.com", Subject: "Your customers export is ready",
		Text: "Hello,\n\nyour export is ready: http://127.0.0.1:8080/api/v1/core/exports/u/download?expires=1&signature=abc\n",
		HTML: `<p>Hello, <a href="http://127.0.0.1:8080/x">Download</a></p>`, ID: "<evt_123@exportd>"}
}

// parts returns the content types and decoded bodies of a multipart/alternative message.
func parts(t *testing.T, raw []byte) (*mail.Message, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(b)
	}
	return msg, out
}

// TestSMTPStartTLSAndPlainAuth sends through a server that offers STARTTLS
// and AUTH PLAIN: the session is upgraded to TLS, authenticated with the
// URL's (escaped) credentials, and carries plain and HTML alternatives with
// the event's Message-ID.
func TestSMTPStartTLSAndPlainAuth(t *testing.T) {
	ms := startMailServer(t, true)
	s, err := ParseSMTPURL("smtp://mailer:s3cret%3A%2F%40@" + ms.addr)
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = &tls.Config{RootCAs: ms.pool, ServerName: "127.0.0.1"}
	m := testMessage()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Mail(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := ms.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages received", len(got))
	}
	r := got[0]
	if !r.tls || r.user != "mailer" || r.from != "exportd@example.com" || r.to != "owner@example.com" {
		t.Errorf("session: tls=%v user=%q from=%q to=%q", r.tls, r.user, r.from, r.to)
	}
	msg, body := parts(t, r.data)
	if id := msg.Header.Get("Message-Id"); id != m.ID {
		t.Errorf("Message-ID %q, want %q", id, m.ID)
	}
	if subj := msg.Header.Get("Subject"); subj != m.Subject {
		t.Errorf("Subject %q", subj)
	}
	if body["text/plain"] != strings.ReplaceAll(m.Text, "\n", "\r\n") && body["text/plain"] != m.Text {
		t.Errorf("text part %q, want %q", body["text/plain"], m.Text)
	}
	if body["text/html"] != m.HTML {
		t.Errorf("html part %q, want %q", body["text/html"], m.HTML)
	}
}

// TestSMTPNoTLSOnLoopback sends to a server without STARTTLS on loopback
// (opportunistic TLS: plain text is accepted) and without credentials.
func TestSMTPNoTLSOnLoopback(t *testing.T) {
	ms := startMailServer(t, false)
	s, err := ParseSMTPURL("smtp://" + ms.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Mail(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if got := ms.messages(); len(got) != 1 || got[0].tls || got[0].user != "" {
		t.Fatalf("received %+v", got)
	}
}

// TestSMTPFailures classifies failures: a recipient refused for good is
// permanent, a temporary refusal and a refused login are retried, and a
// server that hangs is given up when the context ends.
func TestSMTPFailures(t *testing.T) {
	ms := startMailServer(t, false)
	ms.mu.Lock()
	ms.rcpt = func(to string) error {
		switch to {
		case "gone@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case "busy@example.com":
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		}
		return nil
	}
	ms.mu.Unlock()
	send := func(url, to string, timeout time.Duration) error {
		s, err := ParseSMTPURL(url)
		if err != nil {
			t.Fatal(err)
		}
		m := testMessage()
		m.To = to
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return s.Mail(ctx, m)
	}
	if err := send("smtp://"+ms.addr, "gone@example.com", 10*time.Second); err == nil || !IsPermanent(err) {
		t.Errorf("550 to RCPT: %v, want a permanent error", err)
	}
	if err := send("smtp://"+ms.addr, "busy@example.com", 10*time.Second); err == nil || IsPermanent(err) {
		t.Errorf("451 to RCPT: %v, want a temporary error", err)
	}
	if err := send("smtp://mailer:wrong@"+ms.addr, "owner@example.com", 10*time.Second); err == nil || IsPermanent(err) {
		t.Errorf("refused login: %v, want a temporary error", err)
	} else if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the password: %v", err)
	}
	if err := send("smtp://"+ms.addr, "not an address", 10*time.Second); err == nil || !IsPermanent(err) {
		t.Errorf("bad recipient address: %v, want a permanent error", err)
	}
	if len(ms.messages()) != 0 {
		t.Errorf("messages were accepted: %d", len(ms.messages()))
	}

	hold := make(chan struct{})
	defer close(hold)
	ms.mu.Lock()
	ms.hold = hold
	ms.mu.Unlock()
	start := time.Now()
	err := send("smtp://"+ms.addr, "owner@example.com", 300*time.Millisecond)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hanging server: %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a hanging server held the sender %v with a 300ms deadline", d)
	}
}

func TestParseSMTPURL(t *testing.T) {
	good := []struct {
		url  string
		want SMTP
	}{
		{"smtp://user:pa%40ss@mail.example.com:587", SMTP{Host: "mail.example.com", Port: 587, Username: "user", Password: "pa@ss"}},
		{"smtp://127.0.0.1:2525", SMTP{Host: "127.0.0.1", Port: 2525}},
		{"smtps://u:p@[::1]:465/", SMTP{Host: "::1", Port: 465, Username: "u", Password: "p", ImplicitTLS: true}},
	}
	for _, c := range good {
		s, err := ParseSMTPURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if *s != c.want {
			t.Errorf("%s: %+v, want %+v", c.url, *s, c.want)
		}
	}
	bad := []struct{ url, says string }{
		{"smtp://user:topsecret@mail.example.com", "a port is required"},
		{"smtp://user:topsecret@:587", "a host is required"},
		{"http://mail.example.com:587", "scheme"},
		{"mail.example.com:587", "scheme"},
		{"smtp://mail.example.com:99999", "port"},
		{"smtp://mail.example.com:587?tls=off", "without a path or query"},
		{"smtp://:topsecret@mail.example.com:587", "user name is empty"},
		{"smtp://user:top secret@mail.example.com:58 7", "not a valid URL"},
		{"", "scheme"},
	}
	for _, c := range bad {
		_, err := ParseSMTPURL(c.url)
		if err == nil || !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "--smtp") {
			t.Errorf("%q: error %v, want one starting --smtp and saying %q", c.url, err, c.says)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "top secret") {
			t.Errorf("%q: the error repeats the password: %v", c.url, err)
		}
	}
}
