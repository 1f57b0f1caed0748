package queue

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrInvalidInput matches errors for input the database refused (SQLSTATE 22023), and bad
	// input the client refuses before asking, such as a payload that is not JSON.
	ErrInvalidInput = errors.New("invalid input")
	// ErrIllegalState matches errors for a transition the job's state does not allow (55000),
	// such as cancelling a completed job.
	ErrIllegalState = errors.New("illegal state transition")
	// ErrNotFound matches errors for an unknown job id (P0002).
	ErrNotFound = errors.New("job not found")
	// ErrJobLost is the cause of a handler's context cancellation when the job was cancelled
	// or taken back by rescue while the handler ran; its result will be ignored.
	ErrJobLost = errors.New("job lost: cancelled or rescued while running")
	// ErrStopped is the cause of a handler's context cancellation when Stop's context ended
	// before the handler did; the job is released for another worker.
	ErrStopped = errors.New("workers stopped")
)

// Error is an error the database returned for a queue operation. It keeps the server's
// fields and matches the sentinel of its SQLSTATE with errors.Is.
type Error struct {
	// Op is the operation, such as "push" or "claim".
	Op string
	// PgErr is the server's error, with Code, Message, Detail and Hint.
	PgErr *pgconn.PgError

	kind error
}

func (e *Error) Error() string {
	return fmt.Sprintf("queue %s: %s (SQLSTATE %s)", e.Op, e.PgErr.Message, e.PgErr.Code)
}

// Unwrap returns the server's error and, when the SQLSTATE has one, the matching sentinel.
func (e *Error) Unwrap() []error {
	if e.kind == nil {
		return []error{e.PgErr}
	}
	return []error{e.kind, e.PgErr}
}

// wrap turns a database error into an *Error and adds the operation to others.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		e := &Error{Op: op, PgErr: pgErr}
		switch pgErr.Code {
		case "22023":
			e.kind = ErrInvalidInput
		case "55000":
			e.kind = ErrIllegalState
		case "P0002":
			e.kind = ErrNotFound
		}
		return e
	}
	return fmt.Errorf("queue %s: %w", op, err)
}
