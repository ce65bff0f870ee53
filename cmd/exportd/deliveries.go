package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// webhooksDeliveries lists an account's deliveries that are still being
// retried or were given up, so that an operator sees what a receiver missed.
func (m *Main) webhooksDeliveries(ctx context.Context, args []string) error {
	var s storeFlags
	var account int64
	var state, channel string
	var limit int
	fs := newFlags("webhooks deliveries", m.Stderr)
	s.register(fs)
	fs.Int64Var(&account, "account", 0, "account id (required)")
	fs.StringVar(&state, "state", "pending,dead", "comma-separated states: pending, dead, delivered; or all")
	fs.StringVar(&channel, "channel", "webhook", "webhook, email or all")
	fs.IntVar(&limit, "limit", 100, "at most this many, newest first (1 to 10000)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if account < 1 {
		return errors.New("--account is required")
	}
	var states []string
	if state != "all" {
		for st := range strings.SplitSeq(state, ",") {
			st = strings.TrimSpace(st)
			if !slices.Contains([]string{"pending", "dead", "delivered"}, st) {
				return fmt.Errorf("--state must list pending, dead or delivered (or be all); got %q", st)
			}
			states = append(states, st)
		}
	}
	switch channel {
	case "webhook", "email":
	case "all":
		channel = ""
	default:
		return fmt.Errorf("--channel must be webhook, email or all; got %q", channel)
	}
	if limit < 1 || limit > 10000 {
		return errors.New("--limit must be from 1 to 10000")
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.OutboxList(ctx, account, channel, states, limit)
	if err != nil {
		return err
	}
	return m.printJSON(list)
}
