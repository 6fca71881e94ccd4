-- +goose Up
-- Audit log retention per account (issue 18: 7 to 3650 days, pruned daily by
-- audit.Prune), and the time a contact's personal data was erased (contacts.Erase): an
-- erased contact stays, emptied, so that its conversations keep their place in reports.
ALTER TABLE accounts ADD COLUMN audit_retention_days integer NOT NULL DEFAULT 365;
ALTER TABLE contacts ADD COLUMN erased_at timestamptz;

-- +goose Down
ALTER TABLE contacts DROP COLUMN erased_at;
ALTER TABLE accounts DROP COLUMN audit_retention_days;
