// Package postgres implements store.Store on PostgreSQL (doc to come).
package postgres
