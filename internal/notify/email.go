package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/exportd/exportd/internal/export"
)

// Message is a rendered e-mail.
type Message struct {
	From, To, Subject string
	Text, HTML        string
	ID                string // Message-ID, derived from the event id so re-sends are recognisable
}

// Mailer sends a rendered message.
type Mailer interface {
	Mail(ctx context.Context, m Message) error
}

// Email renders export events as e-mails and sends them with a Mailer.
type Email struct {
	Mailer Mailer
	From   string
	// Link returns the signed one-time download URL of an export.
	Link func(uuid string, expires time.Time) string
}

// Send implements Sender.
func (e *Email) Send(ctx context.Context, d export.Delivery) error {
	m, ok, err := e.Render(d)
	if err != nil || !ok {
		return err
	}
	return e.Mailer.Mail(ctx, m)
}

// mailData is what the templates see.
type mailData struct {
	Export  export.Resource
	Type    string
	Filters []string
	Size    string
	Link    string
	Expires string
	Reason  string
}

// Render builds the e-mail of a completion or failure event; ok=false for
// events that send no e-mail.
func (e *Email) Render(d export.Delivery) (Message, bool, error) {
	var env struct {
		Type string `json:"type"`
		Data struct {
			Object export.Resource `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(d.Payload, &env); err != nil {
		return Message{}, false, fmt.Errorf("event %s: %w", d.EventID, err)
	}
	x := env.Data.Object
	data := mailData{Export: x, Type: strings.ReplaceAll(x.Object, "_", " ")}
	keys := make([]string, 0, len(x.Filters))
	for k := range x.Filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		data.Filters = append(data.Filters, k+" = "+x.Filters[k])
	}
	var subject string
	var tmpl string
	switch export.EventType(env.Type) {
	case export.EventCompleted:
		if x.Bytes != nil {
			data.Size = humanBytes(*x.Bytes)
		}
		if x.ExpiresAt != nil {
			data.Expires = x.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")
			if e.Link != nil {
				data.Link = e.Link(x.UUID, *x.ExpiresAt)
			}
		}
		subject = fmt.Sprintf("Your %s export is ready", data.Type)
		tmpl = "completed"
	case export.EventFailed:
		if x.FailedReason != nil {
			data.Reason = *x.FailedReason
		}
		subject = fmt.Sprintf("Your %s export failed", data.Type)
		tmpl = "failed"
	default:
		return Message{}, false, nil
	}
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, tmpl, data); err != nil {
		return Message{}, false, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, tmpl, data); err != nil {
		return Message{}, false, err
	}
	return Message{From: e.From, To: d.Target, Subject: subject, Text: text.String(), HTML: html.String(),
		ID: "<" + d.EventID + "@exportd>"}, true, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

var textTemplates = texttemplate.Must(texttemplate.New("").Parse(`
{{define "completed"}}Hello,

your {{.Type}} export is ready.

Export:   {{.Export.UUID}}
Site:     {{.Export.SiteID}}
Filters:  {{range $i, $f := .Filters}}{{if $i}}, {{end}}{{$f}}{{end}}
Rows:     {{with .Export.Rows}}{{.}}{{end}}
Size:     {{.Size}}
SHA-256:  {{with .Export.SHA256}}{{.}}{{end}}

Download it here (the link works once, without your API key, until {{.Expires}}):
{{.Link}}

Or with the API: GET /api/v1/core/exports/{{.Export.UUID}}?site_id={{.Export.SiteID}}
The file is deleted once it has been downloaded.
{{end}}
{{define "failed"}}Hello,

your {{.Type}} export failed.

Export:   {{.Export.UUID}}
Site:     {{.Export.SiteID}}
Filters:  {{range $i, $f := .Filters}}{{if $i}}, {{end}}{{$f}}{{end}}
Why:      {{.Reason}}

What to do: request the export again. If it fails again, narrow the date range
or ask your operator to look at the workers' logs for export {{.Export.UUID}}.
{{end}}`))

var htmlTemplates = htmltemplate.Must(htmltemplate.New("").Parse(`
{{define "completed"}}<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p><p>your <b>{{.Type}}</b> export is ready.</p>
<table><tr><td>Export</td><td><code>{{.Export.UUID}}</code></td></tr>
<tr><td>Site</td><td>{{.Export.SiteID}}</td></tr>
<tr><td>Filters</td><td>{{range $i, $f := .Filters}}{{if $i}}, {{end}}{{$f}}{{end}}</td></tr>
<tr><td>Rows</td><td>{{with .Export.Rows}}{{.}}{{end}}</td></tr>
<tr><td>Size</td><td>{{.Size}}</td></tr></table>
<p><a href="{{.Link}}">Download the file</a>: the link works once, without your API key, until {{.Expires}}.</p>
</body></html>{{end}}
{{define "failed"}}<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p><p>your <b>{{.Type}}</b> export failed.</p>
<table><tr><td>Export</td><td><code>{{.Export.UUID}}</code></td></tr>
<tr><td>Filters</td><td>{{range $i, $f := .Filters}}{{if $i}}, {{end}}{{$f}}{{end}}</td></tr>
<tr><td>Why</td><td>{{.Reason}}</td></tr></table>
<p>What to do: request the export again. If it fails again, narrow the date range or ask your operator to look at the workers' logs.</p>
</body></html>{{end}}`))

// EMLDir is a Mailer that writes each message as an .eml file into a
// directory: the default when no SMTP server is configured.
type EMLDir struct{ Dir string }

// Mail implements Mailer; the file appears whole (written, then renamed).
func (d EMLDir) Mail(_ context.Context, m Message) error {
	body, err := m.Bytes()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return err
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(rnd[:]) + ".eml"
	tmp := filepath.Join(d.Dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, body, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(d.Dir, name))
}

// Bytes renders the message as RFC 5322 text with plain and HTML alternatives.
func (m Message) Bytes() ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n",
		m.From, m.To, m.Subject, time.Now().UTC().Format(time.RFC1123Z), m.ID)
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%s\r\n\r\n", mw.Boundary())
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		if err := qw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
