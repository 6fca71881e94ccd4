// Package baton holds Baton's domain: the types every other package speaks (accounts,
// users, chatbots, contacts, conversations, messages, events), the conversation status
// machine, the services the adapters implement, and the errors safe to show to users.
// It performs no I/O and imports none of Baton's other packages.
package baton
