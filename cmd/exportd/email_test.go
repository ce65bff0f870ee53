package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/exportd/exportd/internal/export"
)

// smtpMessage is a message the test mail server accepted.
type smtpMessage struct {
	to, user string
	data     []byte
}

// smtpServer is a real SMTP server (emersion/go-smtp) on loopback that
// requires AUTH PLAIN, refuses the first DATA of each message with a
// temporary error, and refuses gone@example.com for good.
type smtpServer struct {
	addr string

	mu      sync.Mutex
	msgs    []smtpMessage
	refused map[string]int // Message-ID -> temporary refusals so far
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ss := &smtpServer{refused: map[string]int{}}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: ss}, nil }))
	s.Domain = "localhost"
	s.AllowInsecureAuth = true // loopback; TLS is covered in internal/notify
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ss.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ss
}

type smtpSession struct {
	srv  *smtpServer
	user string
	to   string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "exportd" || pass != "p@ss word" {
			return errors.New("bad credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == "gone@example.com" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = to
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return err
	}
	id := msg.Header.Get("Message-Id")
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.refused[id] == 0 {
		s.srv.refused[id]++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.srv.msgs = append(s.srv.msgs, smtpMessage{to: s.to, user: s.user, data: b})
	return nil
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

// mailFor waits for the message about an export and parses it into its
// headers and its decoded text and HTML parts.
func (ss *smtpServer) mailFor(t *testing.T, uuid string) (*mail.Message, string, string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ss.mu.Lock()
		msgs := append([]smtpMessage(nil), ss.msgs...)
		ss.mu.Unlock()
		for _, m := range msgs {
			msg, err := mail.ReadMessage(bytes.NewReader(m.data))
			if err != nil {
				t.Fatalf("message does not parse: %v", err)
			}
			mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			if err != nil || mt != "multipart/alternative" {
				t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
			}
			var text, html string
			mr := multipart.NewReader(msg.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(p)
				switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
				case "text/plain":
					text = string(b)
				case "text/html":
					html = string(b)
				}
			}
			if strings.Contains(text, uuid) {
				if to, err := msg.Header.AddressList("To"); m.user != "exportd" || err != nil || len(to) != 1 || to[0].Address != m.to {
					t.Errorf("session user %q, envelope to %q, header To %q", m.user, m.to, msg.Header.Get("To"))
				}
				if html == "" {
					t.Error("no HTML part")
				}
				return msg, text, html
			}
		}
		sleepMs(20)
	}
	t.Fatalf("no e-mail about export %s", uuid)
	return nil, "", ""
}

// eventID returns the id of an export's event of a type.
func (e *env) eventID(uuid string, typ export.EventType) string {
	e.t.Helper()
	var id string
	err := e.openDB().QueryRow(`SELECT ev.id FROM events ev JOIN exports x ON x.id = ev.export_id WHERE x.uuid = ? AND ev.type = ?`,
		uuid, string(typ)).Scan(&id)
	if err != nil {
		e.t.Fatalf("event %s of %s: %v", typ, uuid, err)
	}
	return id
}

// TestEmailOverSMTP sends the completion and failure e-mails through a real
// SMTP server with AUTH PLAIN: the completion mail's one-time link downloads
// the file without the API key, once; a tampered link is refused and an
// expired one is gone. A temporary refusal is retried; a mailbox refused for
// good is given up at once and listed as dead.
func TestEmailOverSMTP(t *testing.T) {
	ss := startSMTP(t)
	flags := []string{"--smtp", "smtp://exportd:p%40ss%20word@" + ss.addr, "--notify-backoff", "200ms",
		"--mail-from", "Exports <exports@example.com>"}
	e := start(t, envOptions{flags: flags})

	uuid := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if s := e.waitStatus(uuid); s != "completed" {
		t.Fatalf("status %s", s)
	}
	msg, text, html := ss.mailFor(t, uuid)
	if got, want := msg.Header.Get("Message-Id"), "<"+e.eventID(uuid, export.EventCompleted)+"@exportd>"; got != want {
		t.Errorf("Message-ID %q, want %q (the completion event's id)", got, want)
	}
	to, _ := msg.Header.AddressList("To")
	from, _ := msg.Header.AddressList("From")
	if len(to) != 1 || to[0].Address != "owner-enterprise@example.com" || len(from) != 1 || from[0].String() != `"Exports" <exports@example.com>` ||
		msg.Header.Get("Subject") != "Your subscriptions export is ready" {
		t.Errorf("headers: To %q, From %q, Subject %q", msg.Header.Get("To"), msg.Header.Get("From"), msg.Header.Get("Subject"))
	}
	link := regexp.MustCompile(`http://\S+/api/v1/core/exports/` + uuid + `/download\?expires=(\d+)&signature=[0-9a-f]{64}`).FindStringSubmatch(text)
	if link == nil {
		t.Fatalf("no download link in the text part:\n%s", text)
	}
	if !strings.Contains(html, `href="`+strings.ReplaceAll(link[0], "&", "&amp;")+`"`) {
		t.Errorf("the HTML part does not link to %s:\n%s", link[0], html)
	}
	var expiresAt string
	if err := e.openDB().QueryRow(`SELECT expires_at FROM exports WHERE uuid = ?`, uuid).Scan(&expiresAt); err != nil {
		t.Fatal(err)
	}
	if exp, _ := time.Parse(time.RFC3339, expiresAt); fmt.Sprint(exp.Unix()) != link[1] {
		t.Errorf("the link expires at %s, the file at %s", link[1], expiresAt)
	}
	if n := e.count(`SELECT attempts FROM outbox WHERE channel = 'email' AND state = 'delivered' AND event_seq =
		(SELECT seq FROM events WHERE id = ?)`, e.eventID(uuid, export.EventCompleted)); n != 2 {
		t.Errorf("the e-mail took %d attempts, want 2 (the server refused the first)", n)
	}

	path := strings.TrimPrefix(link[0], e.base)
	flipped := path[:len(path)-1] + map[bool]string{true: "1", false: "0"}[path[len(path)-1] == '0']
	for name, bad := range map[string]string{
		"a changed signature": flipped,
		"a later expiry":      strings.Replace(path, "expires=", "expires=1", 1),
	} {
		if r := e.do("GET", bad, "", nil); r.status != http.StatusForbidden || r.errCode(t) != "invalid_signature" {
			t.Errorf("link with %s: %d %s", name, r.status, r.body)
		}
	}
	// A link signed with the deployment's own key, but expired.
	var secret string
	if err := e.openDB().QueryRow(`SELECT value FROM settings WHERE name = 'link_secret'`).Scan(&secret); err != nil {
		t.Fatal(err)
	}
	signer := &export.Service{Config: export.Config{LinkSecret: []byte(secret)}}
	expired := "/api/v1/core/exports/" + uuid + "/download?" + signer.SignLink(uuid, time.Now().Add(-time.Minute))
	if r := e.do("GET", expired, "", nil); r.status != http.StatusGone || r.errCode(t) != "link_expired" {
		t.Errorf("expired link: %d %s", r.status, r.body)
	}
	r := e.do("GET", path, "", nil)
	if r.status != http.StatusOK || !bytes.HasPrefix(r.body, []byte("subscription_id,")) {
		t.Fatalf("the e-mailed link: %d %.200s", r.status, r.body)
	}
	if n := bytes.Count(r.body, []byte("\n")) - 1; n != e.count(`SELECT rows FROM exports WHERE uuid = ?`, uuid) {
		t.Errorf("the file has %d rows", n)
	}
	if r := e.do("GET", path, "", nil); r.status != http.StatusGone {
		t.Errorf("second use of the link: %d", r.status)
	}
	if s := e.status(uuid); s != "downloaded" {
		t.Errorf("status after the link was used: %s", s)
	}

	// A key whose owner's mailbox the server refuses for good.
	var k struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal(run(t, "keys", "create", "--data", e.data, "--account", fmt.Sprint(e.account), "--email", "gone@example.com"), &k)
	gone := e.do("POST", e.exportsPath(""), k.APIKey, map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if gone.status != http.StatusAccepted {
		t.Fatalf("request with the second key: %d %s", gone.status, gone.body)
	}
	goneUUID := gone.json(t)["data"].(map[string]any)["uuid"].(string)
	var dead []struct {
		Target     string `json:"target"`
		LastError  string `json:"last_error"`
		ExportUUID string `json:"export_uuid"`
		Attempts   int    `json:"attempts"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(dead) == 0 && time.Now().Before(deadline) {
		out := run(t, "webhooks", "deliveries", "--data", e.data, "--account", fmt.Sprint(e.account), "--channel", "email", "--state", "dead")
		dead = nil
		if err := json.Unmarshal(out, &dead); err != nil {
			t.Fatalf("webhooks deliveries printed %s: %v", out, err)
		}
		sleepMs(50)
	}
	if len(dead) != 1 || dead[0].Target != "gone@example.com" || dead[0].Attempts != 1 || dead[0].ExportUUID != goneUUID ||
		!strings.Contains(dead[0].LastError, "550") {
		t.Errorf("dead e-mail deliveries: %+v", dead)
	}

	// A failure, for real: the export's table disappears between request and run.
	e.stop()
	e.serve(append(flags, "--role", "api")...)
	failing := e.request(map[string]any{"object": "invoices", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	e.stop()
	db, err := sql.Open("sqlite", "file:"+e.dbPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER TABLE invoice_lines RENAME TO invoice_lines_moved`,
		// One attempt, so that the test does not wait out the worker's retries.
		`UPDATE jobs SET max_attempts = 1 WHERE export_id = (SELECT id FROM exports WHERE uuid = '` + failing + `')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	e.serve(flags...)
	if s := e.waitStatus(failing); s != "failed" {
		t.Fatalf("status %s, want failed", s)
	}
	var reason string
	if err := e.openDB().QueryRow(`SELECT failed_reason FROM exports WHERE uuid = ?`, failing).Scan(&reason); err != nil {
		t.Fatal(err)
	}
	msg, text, _ = ss.mailFor(t, failing)
	if msg.Header.Get("Subject") != "Your invoices export failed" || !strings.Contains(text, reason) {
		t.Errorf("failure e-mail: Subject %q, text:\n%s\nwant the reason %q", msg.Header.Get("Subject"), text, reason)
	}
	if got, want := msg.Header.Get("Message-Id"), "<"+e.eventID(failing, export.EventFailed)+"@exportd>"; got != want {
		t.Errorf("Message-ID %q, want %q", got, want)
	}
	if strings.Contains(text, "/download?") {
		t.Error("the failure e-mail carries a download link")
	}
}

// TestServeRejectsBadSMTP: a malformed --smtp stops serve at once with an
// error naming the flag and the problem, never echoing the password.
func TestServeRejectsBadSMTP(t *testing.T) {
	for url, says := range map[string]string{
		"smtp://user:hunter2@mail.example.com":     "a port is required",
		"mail.example.com:587":                     "scheme must be smtp://",
		"smtp://user:hunter2@mail.example.com:0":   "port must be from 1 to 65535",
		"smtp://user:hunter2@mail.example.com:x25": "not a valid URL",
	} {
		var stderr bytes.Buffer
		m := &Main{Stdout: io.Discard, Stderr: &stderr}
		err := m.Run(t.Context(), []string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--smtp", url})
		if err == nil || !strings.HasPrefix(err.Error(), "--smtp") || !strings.Contains(err.Error(), says) {
			t.Errorf("--smtp %s: %v, want an error saying %q", url, err, says)
		} else if strings.Contains(err.Error()+stderr.String(), "hunter2") {
			t.Errorf("--smtp %s: the password is shown: %v", url, err)
		}
	}
}
