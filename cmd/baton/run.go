package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/demo"
	"github.com/baton-chat/baton/internal/store"
)

const usage = `Usage: baton <command> [flags]

Commands:
  serve         run the server (the default)
  migrate       bring the database schema up to date and exit
  user create   add a user: --email, --password, --role (owner|admin|agent), --first-name
  user reset-password
                set a user's password (generated when --password is absent) and end
                their sessions: --email, --password, --reactivate
  demo          fill a new account with synthetic data: --conversations, --messages, --slug

Run "baton <command> -h" for a command's flags.`

// Run runs one subcommand.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		m, err := NewMain(args, stdout, stderr)
		if err != nil {
			return err
		}
		if err := m.Start(ctx); err != nil {
			return err
		}
		<-ctx.Done()
		return m.Close()
	case "migrate":
		c, _, err := parseConfig("migrate", args, stderr, nil)
		if err != nil {
			return err
		}
		d, err := store.Open(ctx, store.Config{URL: c.DatabaseURL, DataDir: c.DataDir})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "The database schema is up to date.")
		return d.Close()
	case "user":
		if len(args) > 0 && args[0] == "create" {
			return userCreate(ctx, args[1:], stdout, stderr)
		}
		if len(args) > 0 && args[0] == "reset-password" {
			return userResetPassword(ctx, args[1:], stdout, stderr)
		}
		return errors.New("usage: baton user create --email … --password … [--role agent] [--first-name …]\n       baton user reset-password --email … [--password …]")
	case "demo":
		return demoCreate(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func userCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email, password, role, first, last, account string
	c, _, err := parseConfig("user create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email address (required)")
		fs.StringVar(&password, "password", "", "password, at least 12 characters and not a common one (required)")
		fs.StringVar(&role, "role", "agent", "owner, admin or agent")
		fs.StringVar(&first, "first-name", "", "first name")
		fs.StringVar(&last, "last-name", "", "last name")
		fs.StringVar(&account, "account", "", "account id (default: the first account)")
	})
	if err != nil {
		return err
	}
	d, err := store.Open(ctx, store.Config{URL: c.DatabaseURL, DataDir: c.DataDir})
	if err != nil {
		return err
	}
	defer d.Close()
	accounts, err := d.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(accounts) == 0 {
		return errors.New("no account yet: run baton serve once first")
	}
	target := accounts[0]
	if account != "" {
		target = nil
		for _, a := range accounts {
			if a.ID == account {
				target = a
			}
		}
		if target == nil {
			return fmt.Errorf("no account %q", account)
		}
	}
	u, err := d.CreateUser(ctx, baton.UserCreate{AccountID: target.ID, Email: email, Password: password,
		Role: baton.Role(role), FirstName: first, LastName: last})
	if err != nil {
		return errors.New(baton.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Created %s %s (%s) in account %s.\n", u.Role, u.Email, u.ID, target.Name)
	return nil
}

// userResetPassword sets a new password for a user locked out (an owner who forgot theirs):
// the one given, or a generated one printed once. The user's sessions end, and a
// deactivated user is reactivated only with --reactivate. The audit log records it.
func userResetPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email, password string
	var reactivate bool
	c, _, err := parseConfig("user reset-password", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the user's email address (required)")
		fs.StringVar(&password, "password", "", "the new password (default: generate one and print it once)")
		fs.BoolVar(&reactivate, "reactivate", false, "also reactivate the user if they are deactivated")
	})
	if err != nil {
		return err
	}
	if email == "" {
		return errors.New("usage: baton user reset-password --email … [--password …] [--reactivate]")
	}
	generated := password == ""
	if generated {
		password = generatePassword()
	}
	d, err := store.Open(ctx, store.Config{URL: c.DatabaseURL, DataDir: c.DataDir})
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := d.FindUserByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no user with the email %s", email)
	}
	entry := audit.Entry{AccountID: u.AccountID, Action: audit.PasswordReset, Target: "user:" + u.ID,
		Detail: map[string]any{"method": "command line"}}
	if _, err := d.UpdateUser(ctx, u.AccountID, u.ID, baton.UserUpdate{Password: &password}, "", func(tx *store.Tx, _ *baton.User) error {
		return audit.Record(ctx, tx, entry)
	}); err != nil {
		return errors.New(baton.ErrorMessage(err))
	}
	if reactivate && !u.Active() {
		if _, err := d.SetDeactivated(ctx, u.AccountID, u.ID, false, func(tx *store.Tx, _ *baton.User) error {
			return audit.Record(ctx, tx, audit.Entry{AccountID: u.AccountID, Action: audit.UserReactivate, Target: "user:" + u.ID,
				Detail: map[string]any{"method": "command line"}})
		}); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "The password of %s is reset; their sessions have ended.\n", u.Email)
	if generated {
		fmt.Fprintf(stdout, "  New password: %s   (shown once: keep it somewhere safe)\n", password)
	}
	if !u.Active() && !reactivate {
		fmt.Fprintln(stdout, "  The user is deactivated: add --reactivate to let them sign in.")
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// demoCreate runs `baton demo`: a new account filled with synthetic data.
func demoCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var convs, msgs int
	var slug string
	var seed uint64
	c, _, err := parseConfig("demo", args, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&convs, "conversations", 10000, "conversations to create")
		fs.IntVar(&msgs, "messages", 100000, "messages to create, spread over the conversations")
		fs.StringVar(&slug, "slug", "load", "slug of the new account's chatbot")
		fs.Uint64Var(&seed, "seed", 1, "random seed (the same seed makes the same data)")
	})
	if err != nil {
		return err
	}
	if convs <= 0 || convs > 100_000_000 || msgs < 0 || msgs > 1_000_000_000 {
		return errors.New("--conversations must be 1 to 100000000 and --messages 0 to 1000000000")
	}
	d, err := store.Open(ctx, store.Config{URL: c.DatabaseURL, DataDir: c.DataDir})
	if err != nil {
		return err
	}
	defer d.Close()
	start := time.Now()
	last := time.Now()
	acc, err := demo.Generate(ctx, d, demo.Options{Conversations: convs, Messages: msgs, Slug: slug, Seed: seed,
		Progress: func(stage string, done, total int) {
			if time.Since(last) > 2*time.Second || done == total {
				last = time.Now()
				fmt.Fprintf(stdout, "%s: %d / %d (%.0f/s overall)\n", stage, done, total, float64(done)/time.Since(start).Seconds())
			}
		}})
	if err != nil {
		return errors.New(baton.ErrorMessage(err) + ": " + err.Error())
	}
	fmt.Fprintf(stdout, "Created account %q (%s) with %d conversations and %d messages in %s.\n", acc.Name, acc.ID, convs, msgs,
		time.Since(start).Round(time.Second))
	fmt.Fprintln(stdout, "Add a user to it to browse it: baton user create --account "+acc.ID+" --email … --password …")
	return nil
}
