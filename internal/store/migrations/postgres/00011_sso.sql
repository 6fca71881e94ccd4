-- +goose Up
-- Single sign-on (issue 18): the email domains whose unknown users an account takes in as
-- agents on their first SSO sign-in. A domain belongs to one account at most.
CREATE TABLE sso_signup_domains (
    domain     text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL
);
CREATE INDEX sso_signup_domains_account ON sso_signup_domains (account_id);

-- +goose Down
DROP TABLE sso_signup_domains;
