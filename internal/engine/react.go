package engine

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// BrokenError is an owner's reaction failing for a reason of its record's
// own — a stored record that no longer decodes, a state the owner does not
// know — rather than of the store. React ends the record's work instead of
// failing the transaction.
type BrokenError struct{ Cause string }

func (e *BrokenError) Error() string { return e.Cause }

// Brokenf returns a *BrokenError.
func Brokenf(format string, args ...any) error {
	return &BrokenError{Cause: fmt.Sprintf(format, args...)}
}

// React runs fn, an owner's reaction to an engine callback or a worker's
// answer, in a savepoint of tx. If fn fails with a *BrokenError or panics,
// its writes (and the tasks it started for waiting pollers) are undone and
// end(tx, cause, stack) runs instead, in tx, to end what fn was about (stack
// is the panic's, "" for a BrokenError): no stored record can make the
// writes of a transaction fail again and again, nor take the writer down.
// Any other error of fn (the store's) is returned as it is.
func (e *Engine) React(tx store.Tx, fn func(tx store.Tx) error, end func(tx store.Tx, cause, stack string) error) error {
	var broken *BrokenError
	var stack string
	err := e.savepoint(tx, func(tx store.Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				stack = string(debug.Stack())
				err = &BrokenError{Cause: fmt.Sprint(p)}
			}
		}()
		return fn(tx)
	})
	if !errors.As(err, &broken) {
		return err
	}
	return end(tx, broken.Cause, stack)
}

// savepoint runs fn in a savepoint of tx; in a transaction the engine gave,
// the tasks fn started for waiting pollers join tx's if fn succeeds, and go
// back to waiting if it fails.
func (e *Engine) savepoint(tx store.Tx, fn func(tx store.Tx) error) error {
	parent, ok := tx.(*engTx)
	if !ok {
		return tx.Savepoint(fn)
	}
	var et *engTx
	err := parent.Savepoint(func(tx store.Tx) error {
		et = &engTx{Tx: tx}
		return fn(et)
	})
	if et != nil {
		if err != nil {
			e.releaseEager(et)
		} else {
			parent.eager = append(parent.eager, et.eager...)
		}
	}
	return err
}
