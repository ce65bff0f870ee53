package sqlite

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/export"
)

// outboxFixture is a store with accounts whose webhook endpoints have
// deliveries waiting: each export has a requested and a canceled event.
type outboxFixture struct {
	db  *DB
	now time.Time
	// endpoint id -> export id of each delivery id
	exportOf map[int64]int64
	seqOf    map[int64]int64
}

func newOutboxFixture(t testing.TB, exportsPerAccount ...int) *outboxFixture {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "exportd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for i, n := range exportsPerAccount {
		acc, err := db.AccountCreate(ctx, "Acme "+strconv.Itoa(i), "enterprise", "ops@example.com", 1, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.WebhookAdd(ctx, acc.AccountID, "http://127.0.0.1:1/hook", now); err != nil {
			t.Fatal(err)
		}
		var keyID int64
		if err := db.r.QueryRowContext(ctx, `SELECT id FROM api_keys WHERE account_id = ?`, acc.AccountID).Scan(&keyID); err != nil {
			t.Fatal(err)
		}
		for range n {
			e := export.Export{UUID: export.NewUUID(), AccountID: acc.AccountID, SiteID: acc.SiteIDs[0], KeyID: keyID,
				Dialect: export.DialectV1, Object: "customers", Params: export.Params{"mode": "full_data"},
				UserEmail: "ops@example.com", Status: export.StatusQueued, Format: "csv", CreatedAt: now, UpdatedAt: now}
			if _, _, err := db.ExportCreate(ctx, export.NewExport{Export: e, MaxActive: 5, MaxAttempts: 1, Now: now}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.ExportCancel(ctx, acc.AccountID, e.UUID, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := &outboxFixture{db: db, now: now, exportOf: map[int64]int64{}, seqOf: map[int64]int64{}}
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, e.export_id, e.seq FROM outbox o JOIN events e ON e.seq = o.event_seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, exp, seq int64
		if err := rows.Scan(&id, &exp, &seq); err != nil {
			t.Fatal(err)
		}
		f.exportOf[id], f.seqOf[id] = exp, seq
	}
	return f
}

// claim claims at the given time and checks that no claimed delivery has an
// older undelivered sibling (same export and receiver) outside the claim.
func (f *outboxFixture) claim(t *testing.T, at time.Time) []export.Delivery {
	t.Helper()
	ds, err := f.db.OutboxClaim(context.Background(), at, time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		var older int
		if err := f.db.r.QueryRow(`SELECT count(*) FROM outbox o JOIN events e ON e.seq = o.event_seq
			WHERE e.export_id = ? AND e.seq < ? AND o.channel = ? AND o.target = ? AND o.state = 'pending'`,
			f.exportOf[d.ID], f.seqOf[d.ID], d.Channel, d.Target).Scan(&older); err != nil {
			t.Fatal(err)
		}
		if older != 0 {
			t.Errorf("delivery %d (%s) claimed while an older event of its export is undelivered", d.ID, d.EventType)
		}
	}
	return ds
}

func byTarget(ds []export.Delivery) map[string][]export.Delivery {
	m := map[string][]export.Delivery{}
	for _, d := range ds {
		m[d.Target] = append(m[d.Target], d)
	}
	return m
}

// TestOutboxClaimOrderAndCap checks the two rules of the claim: an export's
// events reach a receiver one at a time in the order they happened, and one
// receiver holds at most InFlightPerReceiver deliveries, however many are due,
// while another receiver is served at once.
func TestOutboxClaimOrderAndCap(t *testing.T) {
	f := newOutboxFixture(t, 7, 1) // endpoint 1: 7 exports; endpoint 2: 1 export
	ctx := context.Background()

	first := byTarget(f.claim(t, f.now))
	if got := len(first["1"]); got != InFlightPerReceiver {
		t.Fatalf("endpoint 1: %d deliveries claimed, want the cap %d", got, InFlightPerReceiver)
	}
	if got := len(first["2"]); got != 1 || first["2"][0].EventType != string(export.EventRequested) {
		t.Fatalf("endpoint 2: claimed %v, want its export's requested event only", first["2"])
	}
	seen := map[int64]bool{}
	for _, d := range first["1"] {
		if d.EventType != string(export.EventRequested) || seen[f.exportOf[d.ID]] {
			t.Errorf("endpoint 1 got %s of export %d: want one requested event per export", d.EventType, f.exportOf[d.ID])
		}
		seen[f.exportOf[d.ID]] = true
	}

	// Everything in flight: nothing more for either receiver.
	if again := f.claim(t, f.now); len(again) != 0 {
		t.Fatalf("claimed %d more while the receivers are at their cap or waiting on an older event", len(again))
	}

	// One delivered: its export's canceled event, or another export's first event, may go.
	done := first["1"][0]
	if err := f.db.OutboxDone(ctx, done.ID, f.now); err != nil {
		t.Fatal(err)
	}
	if err := f.db.OutboxDone(ctx, first["2"][0].ID, f.now); err != nil {
		t.Fatal(err)
	}
	next := byTarget(f.claim(t, f.now))
	if len(next["1"]) != 1 {
		t.Errorf("endpoint 1: %d claimed after one delivery finished, want 1", len(next["1"]))
	}
	if len(next["2"]) != 1 || next["2"][0].EventType != string(export.EventCanceled) {
		t.Errorf("endpoint 2: claimed %v after its first event was delivered, want the canceled event", next["2"])
	}

	// A failed attempt waiting for its retry holds no slot, but still holds back its export.
	failed := first["1"][1]
	if err := f.db.OutboxRetry(ctx, failed.ID, "answered 500", f.now.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	more := f.claim(t, f.now)
	if len(more) != 1 || f.exportOf[more[0].ID] == f.exportOf[failed.ID] {
		t.Errorf("after a failure: claimed %v, want one delivery of another export", more)
	}

	// A crashed sender's leases run out: those deliveries come due again.
	later := f.claim(t, f.now.Add(2*time.Minute))
	if len(byTarget(later)["1"]) != InFlightPerReceiver {
		t.Errorf("after the leases ran out endpoint 1 got %d, want %d", len(byTarget(later)["1"]), InFlightPerReceiver)
	}
	for _, d := range later {
		if d.ID == failed.ID {
			t.Error("a delivery waiting for its retry was claimed before it was due")
		}
	}
}

// TestOutboxList shows an account's undelivered and dead deliveries to an
// operator, and no other account's.
func TestOutboxList(t *testing.T) {
	f := newOutboxFixture(t, 1, 1)
	ctx := context.Background()
	ds := f.claim(t, f.now)
	for _, d := range ds {
		if d.Target == "1" {
			if err := f.db.OutboxRetry(ctx, d.ID, "webhook 1 answered 500 Internal Server Error", f.now.Add(time.Minute), true); err != nil {
				t.Fatal(err)
			}
		}
	}
	dead, err := f.db.OutboxList(ctx, 1, "webhook", []string{"dead"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].State != "dead" || dead[0].Attempts != 1 || dead[0].URL != "http://127.0.0.1:1/hook" ||
		dead[0].EventType != "export.requested" || dead[0].LastError == "" || dead[0].ExportUUID == "" || dead[0].NextAt != "" {
		t.Errorf("dead deliveries of account 1: %+v", dead)
	}
	all, err := f.db.OutboxList(ctx, 1, "", nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("account 1 has %d deliveries listed, want 2 (requested, canceled)", len(all))
	}
	for _, o := range all {
		if o.Target != "1" {
			t.Errorf("another account's delivery listed: %+v", o)
		}
	}
}

// BenchmarkOutboxClaim claims 32 deliveries from a large backlog: 2,000
// exports with three events each, ten endpoints, 60,000 deliveries of which
// 20,000 are due (an export's last event, to every endpoint).
func BenchmarkOutboxClaim(b *testing.B) {
	f := newOutboxFixture(b, 1)
	for i := 2; i <= 10; i++ {
		if _, err := f.db.w.Exec(`INSERT INTO webhook_endpoints (account_id, url, secret, created_at)
			SELECT account_id, url, secret, created_at FROM webhook_endpoints WHERE id = 1`); err != nil {
			b.Fatal(err)
		}
	}
	setup := []string{
		`DELETE FROM outbox`,
		`INSERT INTO exports (uuid, account_id, site_id, key_id, dialect, object, params, user_email, status, format, created_at, updated_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
			SELECT 'bench-' || i, account_id, site_id, key_id, dialect, object, params, user_email, status, format, created_at, updated_at
			FROM exports, n WHERE exports.id = 1`,
		`INSERT INTO events (id, account_id, export_id, type, payload, created_at)
			WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 3)
			SELECT 'evt_b' || x.id || '_' || j, x.account_id, x.id, 'export.requested', '{}', x.created_at
			FROM exports x, k WHERE x.uuid LIKE 'bench-%' ORDER BY x.id, j`,
		`INSERT INTO outbox (event_seq, channel, target, state, next_at, created_at)
			SELECT e.seq, 'webhook', CAST(w.id AS TEXT), 'delivered', e.created_at, e.created_at
			FROM events e, webhook_endpoints w WHERE e.id LIKE 'evt_b%'`,
		// The last event of each export is due to every endpoint.
		`UPDATE outbox SET state = 'pending' WHERE event_seq IN (SELECT seq FROM events WHERE id LIKE 'evt_b%_3')`,
	}
	for _, q := range setup {
		if _, err := f.db.w.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	ctx := context.Background()
	for b.Loop() {
		ds, err := f.db.OutboxClaim(ctx, f.now, time.Minute, 32)
		if err != nil || len(ds) != 32 {
			b.Fatalf("claimed %d: %v", len(ds), err)
		}
		b.StopTimer()
		if _, err := f.db.w.Exec(`UPDATE outbox SET next_at = created_at, leased_until = NULL, attempts = 0 WHERE leased_until IS NOT NULL`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
