package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTP is a Mailer that hands each message to an SMTP server in its own
// session: STARTTLS when the server offers it (or TLS from the first byte for
// smtps://), AUTH PLAIN when a user name is set.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS speaks TLS from the first byte (smtps://, usually port 465)
	// instead of upgrading with STARTTLS.
	ImplicitTLS bool
	// TLSConfig verifies the server; nil means the system's roots and Host as
	// the server name.
	TLSConfig *tls.Config
}

// ParseSMTPURL reads smtp://[user[:password]@]host:port (or smtps://...).
// Errors never repeat the URL, which may hold a password.
func ParseSMTPURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("--smtp: not a valid URL (%v); want smtp://user:password@host:port", err)
	}
	s := &SMTP{}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.ImplicitTLS = true
	default:
		return nil, fmt.Errorf("--smtp: the scheme must be smtp:// (STARTTLS when offered) or smtps:// (TLS); got %q", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("--smtp: want only smtp://user:password@host:port, without a path or query")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return nil, errors.New("--smtp: a host is required, as in smtp://user:password@mail.example.com:587")
	}
	port := u.Port()
	if port == "" {
		return nil, errors.New("--smtp: a port is required, as in smtp://user:password@" + s.Host + ":587")
	}
	s.Port, err = strconv.Atoi(port)
	if err != nil || s.Port < 1 || s.Port > 65535 {
		return nil, fmt.Errorf("--smtp: the port must be from 1 to 65535; got %q", port)
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			return nil, errors.New("--smtp: the user name is empty; leave out user:password@ to send without AUTH")
		}
	}
	return s, nil
}

// Addr is host:port of the server.
func (s *SMTP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Mail implements Mailer. The session ends when ctx does. A recipient that
// the server refuses for good (5xx to RCPT TO) or an address that does not
// parse is a permanent failure; everything else is worth retrying.
// errUnbuildable is a message that cannot be built, without saying the address.
var errUnbuildable = errors.New("e-mail: the message cannot be built: is the API key owner's e-mail address valid?")

func (s *SMTP) Mail(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		// The parser's error quotes the address, and logs must not hold it.
		return Permanent(errUnbuildable)
	}
	tlsConfig := s.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	var closeOnDone func() bool
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.ImplicitTLS {
			tc := tls.Client(conn, tlsConfig)
			if err := tc.HandshakeContext(dctx); err != nil {
				conn.Close()
				return nil, err
			}
			conn = tc
		}
		// go-mail bounds each command, not the session: closing the connection
		// when ctx ends is what holds the notifier's per-attempt timeout.
		closeOnDone = context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}
	opts := []mail.Option{
		mail.WithPort(s.Port),
		mail.WithTLSPolicy(mail.TLSOpportunistic),
		mail.WithTLSConfig(tlsConfig),
		mail.WithDialContextFunc(dial),
	}
	if deadline, ok := ctx.Deadline(); ok {
		// A little beyond ctx, so that ctx's end (closing the connection) decides.
		if left := time.Until(deadline); left > 0 {
			opts = append(opts, mail.WithTimeout(left+time.Second))
		}
	}
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain),
			mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.Addr(), err)
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if closeOnDone != nil {
		closeOnDone()
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	err = fmt.Errorf("smtp %s: %w", s.Addr(), err)
	var se *mail.SendError
	if errors.As(err, &se) && se.Reason == mail.ErrSMTPRcptTo && se.ErrorCode() >= 500 {
		return Permanent(err)
	}
	return err
}

// message builds the MIME message: plain text with an HTML alternative.
func (s *SMTP) message(m Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	if id := strings.Trim(m.ID, "<>"); id != "" {
		msg.SetMessageIDWithValue(id)
	} else {
		msg.SetMessageID()
	}
	msg.SetDate()
	// RFC 3834: tells auto-responders (vacation replies) not to answer.
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}
