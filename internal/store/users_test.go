package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func TestCreateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()

		u, err := db.CreateUser(ctx, baton.UserCreate{AccountID: e.account.ID, Email: "  Ann@Acme.TEST ",
			Password: "long enough phrase", FirstName: " Ann ", Role: baton.RoleAgent})
		if err != nil {
			t.Fatalf("CreateUser = %v", err)
		}
		if u.ID == "" || u.AccountID != e.account.ID || u.Email != "ann@acme.test" || u.FirstName != "Ann" ||
			u.Role != baton.RoleAgent || u.Availability != baton.AvailabilityOffline || u.Capacity != 5 {
			t.Errorf("CreateUser = %+v, want ann@acme.test, Ann, agent, offline, capacity 5", u)
		}
		got, err := db.FindUser(ctx, e.account.ID, u.ID)
		if err != nil || got.Email != u.Email || got.Role != u.Role {
			t.Errorf("FindUser = %+v, %v; want %+v", got, err, u)
		}
		list, err := db.ListUsers(ctx, e.account.ID)
		if err != nil || len(list) != 2 {
			t.Errorf("ListUsers = %d users, %v; want 2 (owner and Ann)", len(list), err)
		}

		for _, tc := range []struct {
			name string
			c    baton.UserCreate
			code string
		}{
			{"a taken email is a conflict, whatever its case", baton.UserCreate{Email: "ANN@acme.test", Password: "long enough phrase", Role: baton.RoleAgent}, baton.ECONFLICT},
			{"a malformed email is invalid", baton.UserCreate{Email: "ann at acme", Password: "long enough phrase", Role: baton.RoleAgent}, baton.EINVALID},
			{"an email with a display name is invalid", baton.UserCreate{Email: "Ann <ann2@acme.test>", Password: "long enough phrase", Role: baton.RoleAgent}, baton.EINVALID},
			{"an empty email is invalid", baton.UserCreate{Email: "", Password: "long enough phrase", Role: baton.RoleAgent}, baton.EINVALID},
			{"a short password is invalid", baton.UserCreate{Email: "bob@acme.test", Password: "1234567", Role: baton.RoleAgent}, baton.EINVALID},
			{"an unknown role is invalid", baton.UserCreate{Email: "bob@acme.test", Password: "long enough phrase", Role: "root"}, baton.EINVALID},
			{"a negative capacity is invalid", baton.UserCreate{Email: "bob@acme.test", Password: "long enough phrase", Role: baton.RoleAgent, Capacity: -1}, baton.EINVALID},
			{"a very long name is invalid", baton.UserCreate{Email: "bob@acme.test", Password: "long enough phrase", Role: baton.RoleAgent, FirstName: strings.Repeat("b", 101)}, baton.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := tc.c
				c.AccountID = e.account.ID
				_, err := db.CreateUser(ctx, c)
				wantCode(t, err, tc.code, "CreateUser(%q)", c.Email)
			})
		}
		_, err = db.CreateUser(ctx, baton.UserCreate{AccountID: "no-such-account", Email: "carl@acme.test", Password: "long enough phrase", Role: baton.RoleAgent})
		wantCode(t, err, baton.ENOTFOUND, "CreateUser in an unknown account")
		if list, _ := db.ListUsers(ctx, e.account.ID); len(list) != 2 {
			t.Errorf("after refused creations ListUsers = %d users, want 2", len(list))
		}
	})
}

func TestLoginAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()

		s, err := db.Login(ctx, " OWNER@acme.test", "correct horse battery")
		if err != nil {
			t.Fatalf("Login(right password) = %v", err)
		}
		if !strings.HasPrefix(s.Token, store.SessionTokenPrefix) || s.User.ID != e.owner.ID || !s.ExpiresAt.Equal(start.Add(store.DefaultSessionMax)) {
			t.Errorf("Login = token %q, user %s, expires %v; want a %s token for the owner expiring at %v",
				s.Token, s.User.ID, s.ExpiresAt, store.SessionTokenPrefix, start.Add(store.DefaultSessionMax))
		}

		_, wrongPassword := db.Login(ctx, "owner@acme.test", "wrong horse battery")
		_, unknownEmail := db.Login(ctx, "nobody@acme.test", "correct horse battery")
		wantCode(t, wrongPassword, baton.EUNAUTHORIZED, "Login(wrong password)")
		wantCode(t, unknownEmail, baton.EUNAUTHORIZED, "Login(unknown email)")
		if baton.ErrorMessage(wrongPassword) != baton.ErrorMessage(unknownEmail) {
			t.Errorf("Login errors differ: wrong password %q, unknown email %q; want the same message",
				baton.ErrorMessage(wrongPassword), baton.ErrorMessage(unknownEmail))
		}

		a, err := db.Authenticate(ctx, s.Token)
		if err != nil {
			t.Fatalf("Authenticate(session) = %v", err)
		}
		if a.AccountID != e.account.ID || a.UserID() != e.owner.ID || a.Role() != baton.RoleOwner || a.TokenID != "" || a.SessionToken != s.Token {
			t.Errorf("Authenticate(session) = %+v, want the owner of %s with its session token", a, e.account.ID)
		}
		for _, bad := range []string{"", "bts_", s.Token + "x", "Bearer " + s.Token, "btv_" + s.Token[4:], strings.ToUpper(s.Token)} {
			_, err := db.Authenticate(ctx, bad)
			wantCode(t, err, baton.EUNAUTHORIZED, "Authenticate(%q)", bad)
		}

		// A session used every 20 minutes lasts DefaultSessionMax and not a microsecond more.
		for used := time.Duration(0); used+20*time.Minute < store.DefaultSessionMax; used += 20 * time.Minute {
			e.clock.Add(20 * time.Minute)
			if _, err := db.Authenticate(ctx, s.Token); err != nil {
				t.Fatalf("Authenticate after %v of use = %v, want the actor", used+20*time.Minute, err)
			}
		}
		e.clock.Add(store.DefaultSessionMax%(20*time.Minute) + 20*time.Minute - 1)
		if _, err := db.Authenticate(ctx, s.Token); err != nil {
			t.Errorf("Authenticate just before expiry = %v, want the actor", err)
		}
		e.clock.Add(1)
		_, err = db.Authenticate(ctx, s.Token)
		wantCode(t, err, baton.EUNAUTHORIZED, "Authenticate at expiry")

		// Unused for DefaultSessionIdle, a session ends.
		idle, err := db.Login(ctx, "owner@acme.test", "correct horse battery")
		if err != nil {
			t.Fatalf("Login = %v", err)
		}
		e.clock.Add(store.DefaultSessionIdle - 1)
		if _, err := db.Authenticate(ctx, idle.Token); err != nil {
			t.Errorf("Authenticate just before the idle timeout = %v, want the actor", err)
		}
		e.clock.Add(store.DefaultSessionIdle)
		_, err = db.Authenticate(ctx, idle.Token)
		wantCode(t, err, baton.EUNAUTHORIZED, "Authenticate after the idle timeout")
		e.clock.Add(-2*store.DefaultSessionIdle + 1)

		// Logout ends one session and leaves the others.
		e.clock.Add(-store.DefaultSessionMax)
		s1, err := db.Login(ctx, "owner@acme.test", "correct horse battery")
		if err != nil {
			t.Fatalf("Login = %v", err)
		}
		s2, err := db.Login(ctx, "owner@acme.test", "correct horse battery")
		if err != nil {
			t.Fatalf("Login = %v", err)
		}
		if err := db.Logout(ctx, s1.Token); err != nil {
			t.Fatalf("Logout = %v", err)
		}
		_, err = db.Authenticate(ctx, s1.Token)
		wantCode(t, err, baton.EUNAUTHORIZED, "Authenticate after logout")
		if _, err := db.Authenticate(ctx, s2.Token); err != nil {
			t.Errorf("Authenticate(other session) after logout = %v, want the actor", err)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()

		u, err := db.UpdateUser(ctx, e.account.ID, e.owner.ID, baton.UserUpdate{FirstName: ptr("Liv"),
			Availability: ptr(baton.AvailabilityOnline), Capacity: ptr(8)}, "")
		if err != nil || u.FirstName != "Liv" || u.Availability != baton.AvailabilityOnline || u.Capacity != 8 {
			t.Errorf("UpdateUser = %+v, %v; want Liv, online, capacity 8", u, err)
		}
		_, err = db.UpdateUser(ctx, e.account.ID, e.owner.ID, baton.UserUpdate{Role: ptr(baton.RoleAgent)}, "")
		wantCode(t, err, baton.ECONFLICT, "UpdateUser(demote the last owner)")
		for name, up := range map[string]baton.UserUpdate{
			"an unknown role":         {Role: ptr(baton.Role("god"))},
			"an unknown availability": {Availability: ptr(baton.Availability("asleep"))},
			"a capacity above 1000":   {Capacity: ptr(1001)},
			"a short password":        {Password: ptr("short")},
		} {
			_, err := db.UpdateUser(ctx, e.account.ID, e.owner.ID, up, "")
			wantCode(t, err, baton.EINVALID, "UpdateUser(%s)", name)
		}
		got, err := db.FindUser(ctx, e.account.ID, e.owner.ID)
		if err != nil || got.Role != baton.RoleOwner || got.Capacity != 8 || got.Availability != baton.AvailabilityOnline {
			t.Errorf("after refused updates FindUser = %+v, %v; want the owner unchanged", got, err)
		}
		_, err = db.UpdateUser(ctx, e.account.ID, "no-such-user", baton.UserUpdate{FirstName: ptr("X")}, "")
		wantCode(t, err, baton.ENOTFOUND, "UpdateUser(unknown id)")
	})
}
