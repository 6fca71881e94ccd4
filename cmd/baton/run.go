package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
)

const usage = `Usage: baton <command> [flags]

Commands:
  serve         run the server (the default)
  migrate       bring the database schema up to date and exit
  user create   add a user: --email, --password, --role (owner|admin|agent), --first-name

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
		if len(args) == 0 || args[0] != "create" {
			return errors.New("usage: baton user create --email … --password … [--role agent] [--first-name …]")
		}
		return userCreate(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func userCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email, password, role, first, last string
	c, _, err := parseConfig("user create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email address (required)")
		fs.StringVar(&password, "password", "", "password, at least 8 characters (required)")
		fs.StringVar(&role, "role", "agent", "owner, admin or agent")
		fs.StringVar(&first, "first-name", "", "first name")
		fs.StringVar(&last, "last-name", "", "last name")
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
	u, err := d.CreateUser(ctx, baton.UserCreate{AccountID: accounts[0].ID, Email: email, Password: password,
		Role: baton.Role(role), FirstName: first, LastName: last})
	if err != nil {
		return errors.New(baton.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Created %s %s (%s) in account %s.\n", u.Role, u.Email, u.ID, accounts[0].Name)
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
