package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// fixture is two accounts on one database with a clock that stands still until moved.
type fixture struct {
	d    *store.DB
	now  time.Time
	a, b string // account ids
}

func newFixture(t *testing.T, d *store.DB) *fixture {
	t.Helper()
	f := &fixture{d: d, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	d.Now = func() time.Time { return f.now }
	ctx := context.Background()
	a, _, err := d.CreateAccount(ctx, "Acme", "acme", "Acme Bot")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	b, _, err := d.CreateAccount(ctx, "Other", "other", "Other Bot")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	f.a, f.b = a.ID, b.ID
	return f
}

func (f *fixture) log(t *testing.T, e audit.Entry) {
	t.Helper()
	if err := audit.Log(context.Background(), f.d, e); err != nil {
		t.Fatalf("Log(%s): %v", e.Action, err)
	}
}

// all pages through List with limit and returns the ids in order.
func (f *fixture) all(t *testing.T, account string, flt audit.Filter, limit int) []audit.Item {
	t.Helper()
	var items []audit.Item
	cursor := ""
	for range 100 {
		p, err := audit.List(context.Background(), f.d, account, flt, cursor, limit)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		items = append(items, p.Items...)
		if p.NextCursor == "" {
			return items
		}
		cursor = p.NextCursor
	}
	t.Fatal("List never reached its last page")
	return nil
}

func TestListPagesNewestFirstAcrossEqualTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		f := newFixture(t, d)
		// Seven entries at one instant, then three a minute later: ties go by id.
		for i := range 10 {
			if i == 7 {
				f.now = f.now.Add(time.Minute)
			}
			f.log(t, audit.Entry{AccountID: f.a, Action: audit.TokenCreate, Target: fmt.Sprintf("token:%d", i)})
		}
		items := f.all(t, f.a, audit.Filter{}, 3)
		if len(items) != 10 {
			t.Fatalf("List pages gave %d entries, want 10", len(items))
		}
		for i, it := range items {
			if want := fmt.Sprintf("token:%d", 9-i); it.Target != want {
				t.Errorf("item %d = %s, want %s (newest first)", i, it.Target, want)
			}
		}
		if items[0].Actor != nil {
			t.Errorf("an entry without actor has actor %+v, want null", items[0].Actor)
		}
	})
}

func TestListFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		f := newFixture(t, d)
		start := f.now
		f.log(t, audit.Entry{AccountID: f.a, ActorID: "u1", ActorEmail: "ana@acme.test", Action: audit.UserCreate, Target: "user:x", IP: "192.0.2.1",
			Detail: map[string]any{"role": "agent"}})
		f.now = f.now.Add(time.Hour)
		f.log(t, audit.Entry{AccountID: f.a, ActorID: "u2", Action: audit.UserRole, Target: "user:x"})
		f.now = f.now.Add(time.Hour)
		f.log(t, audit.Entry{AccountID: f.a, ActorID: "u1", Action: audit.TokenCreate, Target: "token:t"})
		f.log(t, audit.Entry{AccountID: f.a, ActorID: "u1", Action: "userx.other", Target: "z"})
		// Another account's entries are never listed.
		f.log(t, audit.Entry{AccountID: f.b, ActorID: "u1", Action: audit.UserCreate, Target: "user:x"})

		for _, tc := range []struct {
			name string
			f    audit.Filter
			want []string // actions, newest first
		}{
			{"no filter lists the account's entries only", audit.Filter{}, []string{"userx.other", audit.TokenCreate, audit.UserRole, audit.UserCreate}},
			{"an exact action", audit.Filter{Action: audit.UserRole}, []string{audit.UserRole}},
			{"a group ends with a dot and excludes look-alikes", audit.Filter{Action: "user."}, []string{audit.UserRole, audit.UserCreate}},
			{"an actor", audit.Filter{ActorID: "u1"}, []string{"userx.other", audit.TokenCreate, audit.UserCreate}},
			{"a target", audit.Filter{Target: "user:x"}, []string{audit.UserRole, audit.UserCreate}},
			{"from is inclusive", audit.Filter{From: start.Add(time.Hour)}, []string{"userx.other", audit.TokenCreate, audit.UserRole}},
			{"to is exclusive", audit.Filter{To: start.Add(time.Hour)}, []string{audit.UserCreate}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []string
				for _, it := range f.all(t, f.a, tc.f, 2) {
					got = append(got, it.Action)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("List(%+v) = %v, want %v", tc.f, got, tc.want)
				}
			})
		}

		first := f.all(t, f.a, audit.Filter{Action: audit.UserCreate}, 50)[0]
		if first.Actor == nil || first.Actor.ID != "u1" || first.Actor.Email != "ana@acme.test" || first.IP != "192.0.2.1" ||
			first.Detail["role"] != "agent" || !first.At.Equal(start) {
			t.Errorf("entry = %+v (actor %+v), want actor u1 ana@acme.test, ip, detail and time kept", first, first.Actor)
		}
	})
}

func TestListRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		f := newFixture(t, d)
		for _, tc := range []struct {
			name, cursor string
			limit        int
		}{
			{"a limit above the maximum", "", audit.MaxLimit + 1},
			{"a negative limit", "", -1},
			{"a cursor it did not make", "not a cursor!", 10},
		} {
			_, err := audit.List(context.Background(), d, f.a, audit.Filter{}, tc.cursor, tc.limit)
			if baton.ErrorCode(err) != baton.EINVALID {
				t.Errorf("%s: List error = %v, want invalid", tc.name, err)
			}
		}
	})
}

func TestRetentionSettingsAndPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		s, err := audit.GetSettings(ctx, d, f.a)
		if err != nil || s.RetentionDays != audit.DefaultRetentionDays {
			t.Fatalf("GetSettings = %+v, %v; want the default %d days", s, err, audit.DefaultRetentionDays)
		}
		for _, days := range []int{audit.MinRetentionDays - 1, audit.MaxRetentionDays + 1} {
			if _, err := audit.SetRetention(ctx, d, audit.Entry{AccountID: f.a}, days); baton.ErrorCode(err) != baton.EINVALID {
				t.Errorf("SetRetention(%d) error = %v, want invalid", days, err)
			}
		}
		if _, err := audit.GetSettings(ctx, d, "no-such-account"); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("GetSettings(unknown) error = %v, want not found", err)
		}

		// Entries 40 and 10 days old in both accounts; account a keeps 30 days.
		for _, age := range []int{40, 10} {
			f.now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, -age)
			f.log(t, audit.Entry{AccountID: f.a, Action: audit.SignIn, Target: fmt.Sprintf("a:%d", age)})
			f.log(t, audit.Entry{AccountID: f.b, Action: audit.SignIn, Target: fmt.Sprintf("b:%d", age)})
		}
		f.now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		if s, err := audit.SetRetention(ctx, d, audit.Entry{AccountID: f.a, ActorID: "u1"}, 30); err != nil || s.RetentionDays != 30 {
			t.Fatalf("SetRetention(30) = %+v, %v", s, err)
		}
		n, err := audit.Prune(ctx, d)
		if err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want 1 (account a's 40-day-old entry)", n, err)
		}
		var got []string
		for _, it := range f.all(t, f.a, audit.Filter{}, 50) {
			got = append(got, it.Action+" "+it.Target)
		}
		if want := []string{audit.SettingsUpdate + " audit_log", audit.SignIn + " a:10"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("account a after Prune = %v, want %v", got, want)
		}
		if items := f.all(t, f.b, audit.Filter{}, 50); len(items) != 2 {
			t.Errorf("account b (365 days) kept %d entries, want 2", len(items))
		}
	})
}
